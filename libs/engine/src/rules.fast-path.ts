import type { PolicyDefinition } from '@itinera/core';

/**
 * A compiled evaluator for the common subset of json-rules-engine conditions
 * (all / any / not, plain fact paths, the default operators and `exists`), with
 * json-rules-engine's exact semantics: the same operators, validators and
 * path rules (own properties only, a path on a non-object yields the fact
 * itself). It runs synchronously, without the engine's promise chain per
 * condition; a policy outside the subset (fact references as values, fact
 * params, shared conditions, operator decorators, complex JSONPath) returns
 * undefined and keeps running on json-rules-engine itself.
 */
type Test = (facts: Record<string, unknown>) => boolean;

const numeric = (v: unknown) => Number.parseFloat(v as string).toString() !== 'NaN';

const OPERATORS: Record<string, { cb: (a: any, b: any) => boolean; valid?: (a: unknown) => boolean }> = {
  equal: { cb: (a, b) => a === b },
  notEqual: { cb: (a, b) => a !== b },
  in: { cb: (a, b) => b.indexOf(a) > -1 },
  notIn: { cb: (a, b) => b.indexOf(a) === -1 },
  contains: { cb: (a, b) => a.indexOf(b) > -1, valid: Array.isArray },
  doesNotContain: { cb: (a, b) => a.indexOf(b) === -1, valid: Array.isArray },
  lessThan: { cb: (a, b) => a < b, valid: numeric },
  lessThanInclusive: { cb: (a, b) => a <= b, valid: numeric },
  greaterThan: { cb: (a, b) => a > b, valid: numeric },
  greaterThanInclusive: { cb: (a, b) => a >= b, valid: numeric },
  exists: { cb: (a, b) => (a !== undefined && a !== null) === (b !== false) },
};

/** `$.a.b[0]['c-d']` → ['a', 'b', '0', 'c-d']; undefined for anything else (wildcards, filters, slices, `..`). */
export function parseSimplePath(path: string): string[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const segments: string[] = [];
  const re = /\.([A-Za-z_$][\w$]*)|\[(\d+)\]|\['([^'\\]*)'\]|\["([^"\\]*)"\]/y;
  let i = 1;
  while (i < path.length) {
    re.lastIndex = i;
    const m = re.exec(path);
    if (!m) return undefined;
    segments.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
    i = re.lastIndex;
  }
  return segments;
}

function compileCondition(cond: unknown): Test | undefined {
  if (!cond || typeof cond !== 'object') return undefined;
  const c = cond as Record<string, unknown>;
  if (Array.isArray(c.all)) {
    const parts = c.all.map(compileCondition);
    if (parts.some((p) => !p)) return undefined;
    const tests = parts as Test[];
    return (f) => tests.every((t) => t(f));
  }
  if (Array.isArray(c.any)) {
    const parts = c.any.map(compileCondition);
    if (parts.some((p) => !p)) return undefined;
    const tests = parts as Test[];
    return (f) => tests.some((t) => t(f));
  }
  if ('not' in c) {
    const inner = compileCondition(c.not);
    return inner && ((f) => !inner(f));
  }
  if ('condition' in c || c.params !== undefined || typeof c.fact !== 'string' || typeof c.operator !== 'string') return undefined;
  const op = OPERATORS[c.operator];
  if (!op) return undefined;
  const value = c.value;
  // A value like { "fact": "x" } compares two facts: left to the engine.
  if (value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, 'fact')) return undefined;
  const fact = c.fact;
  let read: (f: Record<string, unknown>) => unknown = (f) => f[fact];
  if (typeof c.path === 'string' && c.path !== '') {
    const segments = parseSimplePath(c.path);
    if (!segments) return undefined;
    read = (f) => {
      const root = f[fact];
      if (root == null || typeof root !== 'object') return root;
      let cur: unknown = root;
      for (const s of segments) {
        if (cur == null || !Object.hasOwn(cur as object, s)) return undefined;
        cur = (cur as Record<string, unknown>)[s];
      }
      return cur;
    };
  } else if (c.path !== undefined && c.path !== '') {
    return undefined;
  }
  const { cb, valid } = op;
  return (f) => {
    const left = read(f);
    return (valid ? valid(left) : true) && cb(left, value);
  };
}

/** Indices (document order) of the rules whose conditions hold, or undefined when the policy is outside the subset. */
export function compileFastPolicy(policy: PolicyDefinition): ((facts: Record<string, unknown>) => number[]) | undefined {
  const tests = policy.rules.map((r) => compileCondition(r.conditions));
  if (tests.some((t) => !t)) return undefined;
  const compiled = tests as Test[];
  return (facts) => {
    const fired: number[] = [];
    for (let i = 0; i < compiled.length; i++) if (compiled[i](facts)) fired.push(i);
    return fired;
  };
}
