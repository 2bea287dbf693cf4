import { createRequire } from 'node:module';

/** The part of autocannon's result the bench reads (the package ships no types). */
export interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  throughput: { average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}

export interface CannonOptions {
  url: string;
  method: 'POST' | 'GET';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  pipelining: number;
  /** Seconds to run, or… */
  duration?: number;
  /** …this many requests in all. */
  amount?: number;
  /** Seconds before a request counts as timed out (autocannon's default: 10). */
  timeout?: number;
}

const autocannon = createRequire(__filename)('autocannon') as (opts: CannonOptions & { setupClient?: unknown }) => Promise<CannonResult>;

/** One autocannon run (in this process), rejected when any request failed. */
export async function cannon(opts: CannonOptions): Promise<CannonResult> {
  const result = await autocannon(opts);
  if (result.errors || result.timeouts || result.non2xx) {
    throw new Error(`autocannon against ${opts.url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`);
  }
  return result;
}
