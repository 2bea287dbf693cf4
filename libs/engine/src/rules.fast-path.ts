import type { Facts, PolicyDefinition } from '@itinera/core';
import { MISSING, missingMode, ruleOperators, RuleTypeError, RunIssues, type Read, type ReadSite } from './rules.operators';

/**
 * A compiled evaluator for the common subset of json-rules-engine conditions
 * (all / any / not, plain fact paths, the operators without decorators), with
 * the exact semantics Itinera gives json-rules-engine (rules-engine.ts): the
 * same operators (rules.operators.ts), the same missing-path rules, the same
 * priority sets inside all / any (each set evaluated whole, so both see the
 * same reads). It runs synchronously, without the engine's promise chain per
 * condition; a policy outside the subset (fact references as values, fact
 * params, shared conditions, operator decorators, complex JSONPath) returns
 * undefined and keeps running on json-rules-engine itself.
 */
type Test = (facts: Record<string, unknown>, run: RunIssues) => boolean;
type Part = { test: Test; priority: number };

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

/** All tests of a set run (no short-circuit inside a set), as json-rules-engine's Promise.all does. */
function every(tests: Test[], f: Record<string, unknown>, run: RunIssues): boolean {
  let ok = true;
  for (const t of tests) if (!t(f, run)) ok = false;
  return ok;
}

function some(tests: Test[], f: Record<string, unknown>, run: RunIssues): boolean {
  let ok = false;
  for (const t of tests) if (t(f, run)) ok = true;
  return ok;
}

/** json-rules-engine's prioritizeAndRun: sets by priority, highest first; stop once the outcome is settled. */
function group(parts: Part[], any: boolean): Test {
  if (parts.length === 0) return () => true;
  if (parts.length === 1) return parts[0].test;
  const byPriority = new Map<number, Test[]>();
  for (const p of parts) byPriority.set(p.priority, [...(byPriority.get(p.priority) ?? []), p.test]);
  const sets = [...byPriority.entries()].sort((a, b) => b[0] - a[0]).map(([, tests]) => tests);
  const combine = any ? some : every;
  if (sets.length === 1) {
    const only = sets[0];
    return (f, run) => combine(only, f, run);
  }
  return (f, run) => {
    let result = !any;
    for (const set of sets) {
      if (result === any) break;
      result = combine(set, f, run);
    }
    return result;
  };
}

interface Compiler {
  policy: PolicyDefinition;
  rule: string;
  sites: ReadSite[];
  ops: ReturnType<typeof ruleOperators>;
}

function compileCondition(cond: unknown, cx: Compiler): Part | undefined {
  if (!cond || typeof cond !== 'object') return undefined;
  const c = cond as Record<string, unknown>;
  const priority = typeof c.priority === 'number' && c.priority ? c.priority : 1;
  for (const key of ['all', 'any'] as const) {
    if (!Array.isArray(c[key])) continue;
    const parts = (c[key] as unknown[]).map((x) => compileCondition(x, cx));
    if (parts.some((p) => !p)) return undefined;
    return { test: group(parts as Part[], key === 'any'), priority };
  }
  if ('not' in c) {
    const inner = compileCondition(c.not, cx);
    if (!inner) return undefined;
    const t = inner.test;
    return { test: (f, run) => !t(f, run), priority };
  }
  if ('condition' in c || c.params !== undefined || typeof c.fact !== 'string' || typeof c.operator !== 'string') return undefined;
  if (!Object.hasOwn(cx.ops, c.operator)) return undefined;
  const op = cx.ops[c.operator as keyof Compiler['ops']];
  const value = c.value;
  // A value like { "fact": "x" } compares two facts: left to the engine.
  if (value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, 'fact')) return undefined;
  const fact = c.fact;
  const path = typeof c.path === 'string' && c.path !== '' ? c.path : '$';
  const segments = parseSimplePath(path);
  if (!segments || (c.path !== undefined && typeof c.path !== 'string')) return undefined;
  const read = (f: Record<string, unknown>): Read => {
    let cur: unknown = f[fact];
    if (cur === undefined) return MISSING;
    for (const s of segments) {
      if (cur === null || cur === undefined || !Object.hasOwn(cur as object, s)) return MISSING;
      cur = (cur as Record<string, unknown>)[s];
    }
    return cur;
  };
  const site = cx.sites.push({ rule: cx.rule, fact, path, missing: missingMode(c, cx.policy.missing) }) - 1;
  const presence = c.operator === 'exists';
  const test: Test = (f, run) => {
    const left = read(f);
    if (left === MISSING) return presence ? op(undefined, value) : run.missing(site);
    try {
      return op(left, value);
    } catch (err) {
      if (err instanceof RuleTypeError) return run.mismatch(site, err.message);
      throw err;
    }
  };
  return { test, priority };
}

/**
 * Indices (document order) of the rules whose conditions hold, or undefined
 * when the policy is outside the subset. Throws FACT_MISSING or
 * FACT_TYPE_MISMATCH as the engine does.
 */
export function compileFastPolicy(policy: PolicyDefinition): ((facts: Facts) => number[]) | undefined {
  const cx: Compiler = { policy, rule: '', sites: [], ops: ruleOperators(policy.coerce === true) };
  const tests: Test[] = [];
  for (const rule of policy.rules) {
    cx.rule = rule.name;
    const part = compileCondition(rule.conditions, cx);
    if (!part) return undefined;
    tests.push(part.test);
  }
  const key = `${policy.name}@${policy.version}`;
  const sites = cx.sites;
  return (facts) => {
    const f = facts as unknown as Record<string, unknown>;
    const run = new RunIssues(sites);
    const fired: number[] = [];
    for (let i = 0; i < tests.length; i++) if (tests[i](f, run)) fired.push(i);
    run.check(key);
    return fired;
  };
}
