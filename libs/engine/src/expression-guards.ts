import jsonata from 'jsonata';
import { distinct, EQ, equals, match, NE, sort, spread } from './expression-builtins';
import { linearRegExpEngine } from './expression-regex';

/** Guardrails for every JSONata evaluation. */
export interface ExpressionLimits {
  /** Wall-clock budget of one evaluation, checked at each evaluation step. */
  timeoutMs: number;
  /** Maximum nesting of evaluation frames (deep or runaway recursion). */
  maxDepth: number;
  /** Longest sequence or array one evaluation may build (jsonata's `sequence`). */
  maxSequence: number;
  /**
   * Longest string one evaluation may build, in UTF-16 units. Built-in functions
   * may produce 16 times this in total per evaluation, and a result may be 16
   * times this long as JSON.
   */
  maxString: number;
}

export const DEFAULT_EXPRESSION_LIMITS: ExpressionLimits = { timeoutMs: 1000, maxDepth: 500, maxSequence: 1_000_000, maxString: 2_097_152 };

/** Total budget (built-in output per evaluation, result JSON) as a multiple of `maxString`. */
export const TOTAL_FACTOR = 16;

/** A size limit was hit; `Expressions` turns it into EXPRESSION_LIMIT. */
export class LimitExceeded extends Error {
  constructor(readonly detail: string) {
    super(detail);
  }
}

/** jsonata's own options: its guardrails plus the linear-time regex engine. */
export function jsonataOptions(limits: ExpressionLimits): jsonata.JsonataOptions {
  return {
    timeout: limits.timeoutMs,
    stack: limits.maxDepth,
    RegexEngine: linearRegExpEngine(limits.timeoutMs) as unknown as RegExpConstructor,
  };
}

/**
 * jsonata's `sequence` check runs inside the one native step that builds a range
 * (`[1..1e7]`) or collects descendants (`**`), before it allocates; but it gives every
 * sequence of every evaluation its own checked `push`, which made the benchmark's map
 * a third slower. So it is set only for expressions with one of those two operators
 * (or `$eval`);
 * elsewhere the exit hook's checks bound what steps yield.
 */
export function needsSequenceCheck(ast: unknown): boolean {
  const seen = new Set<unknown>();
  const walk = (node: unknown): boolean => {
    if (node === null || typeof node !== 'object' || seen.has(node)) return false;
    seen.add(node);
    const n = node as { type?: string; value?: unknown };
    // $eval runs a body-supplied expression under these same options.
    if (n.type === 'descendant' || (n.type === 'binary' && n.value === '..') || (n.type === 'variable' && n.value === 'eval')) return true;
    return Object.values(n).some(walk);
  };
  return walk(ast);
}

type Builtin = { implementation: (...args: unknown[]) => unknown };
type Focus = jsonata.Focus;
type Frame = { base: Record<symbol, number> & { timestamp: Date } };

// The built-ins wrapped below, taken from jsonata itself (evaluating `$pad` yields the function).
let originals: Record<'replace' | 'string' | 'clone', Builtin> | undefined;
const originalsReady = jsonata('{ "replace": $replace, "string": $string, "clone": $clone }')
  .evaluate({})
  .then((o: Record<'replace' | 'string' | 'clone', Builtin>) => (originals = o));

const PRODUCED = Symbol('itinera.produced');
const STEPS = Symbol('itinera.steps');
const ITEMS = Symbol('itinera.items');
const YIELDED = Symbol('itinera.yielded');
/** A long evaluation gives the event loop a turn this often (health checks, other messages). */
export const SLICE_MS = 10;
const EXIT = Symbol.for('jsonata.__evaluate_exit');

/**
 * Size guards on one compiled expression. Every evaluation step's string or array
 * result is checked on its way out (jsonata's exit hook), and the built-ins that
 * multiply sizes in one native call (`$pad`, `$join`, `$replace`, `$string`, the
 * copy behind `~> |…|`) check the size they would build before building it, so
 * no single call allocates past the limit or runs long on a huge allocation.
 */
export function installGuards(expr: jsonata.Expression, limits: ExpressionLimits): void {
  const { maxString, maxSequence } = limits;
  const total = maxString * TOTAL_FACTOR;
  const tooLong = (what: string, n: number) => new LimitExceeded(`${what} would be ${n} characters long, more than ITINERA_JSONATA_MAX_STRING (${maxString})`);

  (expr.assign as unknown as (name: symbol, value: unknown) => void)(EXIT, (node: { type: string }, _input: unknown, env: Frame, result: unknown) => {
    const base = env.base;
    if (typeof result === 'string') {
      if (result.length > maxString) throw tooLong('a string', result.length);
      if (node.type === 'function') {
        // A function's string is (nearly always) new memory: count it against the evaluation's total.
        const produced = (base[PRODUCED] ?? 0) + result.length;
        if (produced > total) {
          throw new LimitExceeded(`built-in functions produced more than ${total} characters in one evaluation (${TOTAL_FACTOR} x ITINERA_JSONATA_MAX_STRING)`);
        }
        base[PRODUCED] = produced;
      }
    } else if (Array.isArray(result)) {
      if (result.length > maxSequence)
        throw new LimitExceeded(`an array would hold ${result.length} items, more than ITINERA_JSONATA_MAX_ITEMS (${maxSequence})`);
      // Many arrays within the limit, flattened into one path result, are bounded by this total.
      const items = (base[ITEMS] ?? 0) + result.length;
      if (items > maxSequence * TOTAL_FACTOR) {
        throw new LimitExceeded(`steps yielded more than ${maxSequence * TOTAL_FACTOR} items in one evaluation (${TOTAL_FACTOR} x ITINERA_JSONATA_MAX_ITEMS)`);
      }
      base[ITEMS] = items;
    }
    // jsonata awaits only microtasks, so a long evaluation would hold the event loop until its
    // timeout: every SLICE_MS it waits for a macrotask turn instead (checked every 256 steps).
    const steps = (base[STEPS] ?? 0) + 1;
    base[STEPS] = steps;
    if ((steps & 255) === 0) {
      const now = Date.now();
      if (now - (base[YIELDED] ?? base.timestamp.getTime()) >= SLICE_MS) {
        base[YIELDED] = now;
        return new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    return undefined;
  });

  expr.registerFunction(
    'pad',
    (str: string | undefined, width: number, char?: string) => {
      if (str === undefined) return undefined;
      const w = Math.abs(Math.trunc(width));
      if (w > maxString) throw tooLong('$pad', w);
      return pad(str, Math.trunc(width), char === undefined || char.length === 0 ? ' ' : char);
    },
    '<s-ns?:s>',
  );

  expr.registerFunction(
    'join',
    (strs: string[] | undefined, separator = '') => {
      if (strs === undefined) return undefined;
      let n = Math.max(0, strs.length - 1) * separator.length;
      for (const s of strs) n += s.length;
      if (n > maxString) throw tooLong('$join', n);
      return strs.join(separator);
    },
    '<a<s>s?:s>',
  );

  expr.registerFunction(
    'replace',
    async function (this: Focus, str: string | undefined, pattern: unknown, replacement: unknown, limit?: number) {
      const o = originals ?? (await originalsReady);
      if (str !== undefined && typeof replacement === 'string') {
        const n = await replacedLength(str, pattern, replacement, limit);
        if (n > maxString) throw tooLong('$replace', n);
      }
      return o.replace.implementation.call(this, str, pattern, replacement, limit);
    },
    '<s-(sf)(sf)n?:s>',
  );

  expr.registerFunction(
    'string',
    async function (this: Focus, arg: unknown, prettify?: boolean) {
      const o = originals ?? (await originalsReady);
      if (arg !== null && typeof arg === 'object') {
        const n = jsonSize(arg, maxString, prettify === true);
        if (n > maxString) throw tooLong('$string', n);
      }
      return o.string.implementation.call(this, arg, prettify);
    },
    '<x-b?:s>',
  );

  expr.registerFunction(
    'clone',
    async function (this: Focus, arg: unknown) {
      const o = originals ?? (await originalsReady);
      if (jsonSize(arg, total, false) > total) throw new LimitExceeded(`the copy a transform makes would be longer than ${total} characters as JSON`);
      return o.clone.implementation.call(this, arg);
    },
    '<(oa)-:o>',
  );

  // Linear forms of the built-ins that are quadratic in one native call (see expression-builtins.ts).
  const distinctTooBig = () => new LimitExceeded(`$distinct would compare values longer than ${total} characters as JSON in total`);
  expr.registerFunction(
    'distinct',
    function (this: Focus, arr: unknown) {
      return distinct.call(this, arr, total, distinctTooBig, SLICE_MS);
    },
    '<x:x>',
  );
  expr.registerFunction('sort', sort, '<af?:a>');
  const tooManyMatches = () => new LimitExceeded(`$match would find more than ${maxSequence} matches, more than ITINERA_JSONATA_MAX_ITEMS`);
  expr.registerFunction(
    'match',
    function (this: Focus, str: string | undefined, regex: Parameters<typeof match>[1], limit?: number) {
      return match.call(this, str, regex, limit, SLICE_MS, maxSequence, tooManyMatches);
    },
    '<s-f<s:o>n?:a<o>>',
  );
  // `=` and `!=` call these (expression-compile.ts rewrites them): deep equality over shared parts.
  const equalsTooBig = () => new LimitExceeded(`comparing with = would visit more than ${total} values`);
  expr.registerFunction(EQ, (a: unknown, b: unknown) => equals(a, b, total, equalsTooBig));
  expr.registerFunction(NE, (a: unknown, b: unknown) => a !== undefined && b !== undefined && !equals(a, b, total, equalsTooBig));
  expr.registerFunction(
    'spread',
    function (this: Focus, arg: unknown) {
      return spread.call(this, arg, SLICE_MS);
    },
    '<x-:a<o>>',
  );
}

/** The result checked before it leaves: shared sub-objects must not expand past the budget when serialised. */
export function checkResult(result: unknown, limits: ExpressionLimits): void {
  if (result === null || typeof result !== 'object') return;
  const total = limits.maxString * TOTAL_FACTOR;
  const n = jsonSize(result, total, false);
  if (n > total) throw new LimitExceeded(`the result would be more than ${total} characters as JSON (${TOTAL_FACTOR} x ITINERA_JSONATA_MAX_STRING)`);
}

/** jsonata's $pad (code points, padding cut to length), built without a huge intermediate. */
function pad(str: string, width: number, char: string): string {
  const padLength = Math.abs(width) - Array.from(str).length;
  if (padLength <= 0) return str;
  const unit = Array.from(char);
  let padding = char.repeat(Math.ceil(padLength / unit.length));
  if (unit.length * Math.ceil(padLength / unit.length) !== padLength) {
    padding = unit.length === char.length ? padding.slice(0, padLength) : Array.from(padding).slice(0, padLength).join('');
  }
  return width > 0 ? str + padding : padding + str;
}

interface MatchResult {
  match: string;
  next(): MatchResult | undefined | Promise<MatchResult | undefined>;
}

/**
 * Upper bound of `$replace`'s result with a string replacement: one pass over the
 * matches (linear: indexOf or RE2), each `$n` in the replacement counted as the
 * longest match (a group is never longer than its match).
 */
async function replacedLength(str: string, pattern: unknown, replacement: string, limit: number | undefined): Promise<number> {
  const max = limit === undefined ? Infinity : limit;
  let count = 0;
  let matched = 0;
  let longest = 0;
  if (typeof pattern === 'string') {
    if (pattern === '') return str.length;
    for (let i = str.indexOf(pattern); i !== -1 && count < max; i = str.indexOf(pattern, i + pattern.length)) count++;
    longest = pattern.length;
    matched = count * pattern.length;
  } else if (typeof pattern === 'function') {
    // jsonata hands functions over wrapped as async; `next` is the matcher's own.
    let m = (await (pattern as (s: string) => Promise<MatchResult | undefined>)(str)) as MatchResult | undefined;
    for (; m && typeof m.match === 'string' && m.match !== '' && count < max; m = await m.next()) {
      count++;
      matched += m.match.length;
      longest = Math.max(longest, m.match.length);
    }
  } else {
    return str.length;
  }
  // jsonata substitutes $n only for regex patterns.
  const dollars = typeof pattern === 'string' ? 0 : replacement.split('$').length - 1;
  return str.length - matched + count * (replacement.length + dollars * longest);
}

/**
 * Length of `value` as JSON, counted without building it and given up past `budget`
 * (so a structure whose parts are shared many times is measured in time bounded by
 * the budget, never by its expanded size).
 */
export function jsonSize(value: unknown, budget: number, pretty: boolean): number {
  let size = 0;
  // Two flat stacks (values, and depths only when pretty): no tuple per value on the hot path.
  const stack: unknown[] = [value];
  const depths: number[] = [0];
  while (stack.length > 0) {
    const v = stack.pop();
    const depth = pretty ? depths.pop()! : 0;
    if (pretty) size += 2 * depth + 1;
    if (typeof v === 'string') size += v.length + 2;
    else if (typeof v === 'number') size += 8;
    else if (v === null || typeof v !== 'object' || isFunction(v)) size += 5;
    else if (Array.isArray(v)) {
      size += 1 + v.length;
      if (size > budget) return size;
      for (const item of v) stack.push(item);
      if (pretty) for (let i = 0; i < v.length; i++) depths.push(depth + 1);
    } else {
      const keys = Object.keys(v);
      size += 2 + 4 * keys.length;
      if (size > budget) return size;
      for (const key of keys) {
        size += key.length;
        stack.push((v as Record<string, unknown>)[key]);
        if (pretty) depths.push(depth + 1);
      }
    }
    if (size > budget) return size;
  }
  return size;
}

/** JSONata lambdas and built-ins are objects; JSON and `$string` render them as "". */
function isFunction(v: object): boolean {
  const f = v as { _jsonata_lambda?: boolean; _jsonata_function?: boolean };
  return f._jsonata_lambda === true || f._jsonata_function === true;
}
