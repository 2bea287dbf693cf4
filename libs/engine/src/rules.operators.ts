import { ItineraError } from '@itinera/core';

/**
 * The rule semantics both evaluators share (json-rules-engine and the fast
 * path): the operators, with strict types unless a policy opts into coercion,
 * and what a missing fact or path means. One table, so the two cannot drift.
 */

/** What a condition does when its fact or path is missing (or its value has the wrong type). */
export type MissingMode = 'error' | 'false';

/** What reading a fact or path gives when nothing is there. */
export const MISSING: unique symbol = Symbol('missing');
export type Read = unknown | typeof MISSING;

/** An operator was given a value of the wrong type; the evaluator names the condition. */
export class RuleTypeError extends Error {}

export type OperatorFn = (a: unknown, b: unknown) => boolean;

/** The operators, by name; `exists` is the one that accepts a missing value (as undefined). */
export const OPERATOR_NAMES = [
  'equal',
  'notEqual',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
  'exists',
] as const;

export const ORDERING_OPERATORS: ReadonlySet<string> = new Set(['lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive']);

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return typeof v === 'string' ? 'a string' : typeof v === 'number' ? 'a number' : typeof v === 'boolean' ? 'a boolean' : typeof v;
}

/** A number, or a string that is exactly a number (only under coercion). */
function asNumber(v: unknown, coerce: boolean): number | undefined {
  if (typeof v === 'number') return v;
  if (coerce && typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    if (Number.isFinite(n)) return n;
  }
  return undefined;
}

function same(a: unknown, b: unknown, coerce: boolean): boolean {
  if (a === b) return true;
  if (!coerce) return false;
  const x = asNumber(a, true);
  return x !== undefined && x === asNumber(b, true);
}

function compare(name: string, coerce: boolean, test: (a: number, b: number) => boolean): OperatorFn {
  return (a, b) => {
    const x = asNumber(a, coerce);
    const y = asNumber(b, coerce);
    if (x === undefined || y === undefined) {
      const bad = x === undefined ? a : b;
      const hint = coerce ? '' : ' (strict types: set "coerce": true on the policy to compare numeric strings as numbers)';
      throw new RuleTypeError(`"${name}" compares numbers, got ${typeName(bad)}${hint}`);
    }
    return test(x, y);
  };
}

function list(name: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new RuleTypeError(`"${name}" needs an array, got ${typeName(v)}`);
  return v;
}

/** The operators for a policy: strict (the default) or coercing numeric strings. */
export function ruleOperators(coerce: boolean): Record<(typeof OPERATOR_NAMES)[number], OperatorFn> {
  return {
    equal: (a, b) => same(a, b, coerce),
    notEqual: (a, b) => !same(a, b, coerce),
    in: (a, b) => list('in', b).some((x) => same(a, x, coerce)),
    notIn: (a, b) => !list('notIn', b).some((x) => same(a, x, coerce)),
    contains: (a, b) => list('contains', a).some((x) => same(x, b, coerce)),
    doesNotContain: (a, b) => !list('doesNotContain', a).some((x) => same(x, b, coerce)),
    lessThan: compare('lessThan', coerce, (a, b) => a < b),
    lessThanInclusive: compare('lessThanInclusive', coerce, (a, b) => a <= b),
    greaterThan: compare('greaterThan', coerce, (a, b) => a > b),
    greaterThanInclusive: compare('greaterThanInclusive', coerce, (a, b) => a >= b),
    exists: (a, b) => (a !== undefined && a !== null) === (b !== false),
  };
}

/** One place a condition reads a fact: numbered in document order, so both evaluators name the same one. */
export interface ReadSite {
  rule: string;
  fact: string;
  path: string;
  missing: MissingMode;
}

type Issue = { site: number; code: 'FACT_MISSING' | 'FACT_TYPE_MISMATCH'; detail?: string };

/**
 * What one run found missing or mistyped. A condition in `false` mode just
 * fails; one in `error` mode is noted and evaluation goes on, so both
 * evaluators see the same reads and fault naming the same (first) one.
 */
export class RunIssues {
  private issues: Issue[] | undefined;

  constructor(private readonly sites: readonly ReadSite[]) {}

  missing(site: number): false {
    if (this.sites[site].missing === 'error') (this.issues ??= []).push({ site, code: 'FACT_MISSING' });
    return false;
  }

  mismatch(site: number, detail: string): false {
    if (this.sites[site].missing === 'error') (this.issues ??= []).push({ site, code: 'FACT_TYPE_MISMATCH', detail });
    return false;
  }

  /** Throw the first issue in document order, if any. */
  check(policyKey: string): void {
    if (!this.issues) return;
    const first = this.issues.reduce((a, b) => (b.site < a.site ? b : a));
    const s = this.sites[first.site];
    const where = `${s.fact}${s.path === '$' ? '' : ` ${s.path}`}`;
    const prefix = `policy "${policyKey}", rule "${s.rule}": `;
    if (first.code === 'FACT_MISSING') {
      throw new ItineraError(
        'FACT_MISSING',
        `${prefix}${where} is missing; send it, or set "missing": "false" on the condition or the policy if its absence is normal`,
      );
    }
    throw new ItineraError('FACT_TYPE_MISMATCH', `${prefix}${where}: ${first.detail}`);
  }
}

/** The mode of a condition: its own `missing`, else the policy's, else `error`. */
export function missingMode(condition: Record<string, unknown>, policyMode: unknown): MissingMode {
  const m = condition.missing ?? policyMode;
  return m === 'false' ? 'false' : 'error';
}
