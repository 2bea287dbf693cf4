import jsonata from 'jsonata';
import type { LoadCheckContext } from '@itinera/core';

export interface FakeLoadCheckOptions {
  pointer?: string;
  /** Map names, optionally "name@version". */
  maps?: string[];
  policies?: string[];
  schemas?: string[];
  invokables?: string[];
  adapters?: string[];
}

/** A LoadCheckContext over fixed lists, for testing a service's `check()`. */
export function createFakeLoadCheckContext(o: FakeLoadCheckOptions = {}): LoadCheckContext {
  const has = (list: string[] | undefined, name: string, version?: string) =>
    (list ?? []).some((e) => (version ? e === `${name}@${version}` : e === name || e.startsWith(`${name}@`)));
  return {
    pointer: o.pointer ?? '/steps/0/options',
    file: 'itineraries/test.json',
    hasMap: (n, v) => has(o.maps, n, v),
    hasPolicy: (n, v) => has(o.policies, n, v),
    hasSchema: (n) => (o.schemas ?? []).includes(n),
    hasInvokable: (n) => (o.invokables ?? []).includes(n),
    hasAdapter: (n) => (o.adapters ?? ['http', 'queue', 'ws', 'log']).includes(n),
    checkExpression(source) {
      try {
        jsonata(source);
        return undefined;
      } catch (err) {
        return `JSONata syntax error: ${(err as Error).message}`;
      }
    },
  };
}
