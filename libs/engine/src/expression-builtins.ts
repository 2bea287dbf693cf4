import type jsonata from 'jsonata';

/**
 * Linear-time replacements for jsonata built-ins that are quadratic in one native
 * call: `$distinct` (a deep comparison against every value kept so far), `$sort`
 * (a merge that copies the rest of the array at each step) and `$spread` over an
 * array (a concatenation per item). A native call never reaches the exit hook, so
 * neither the timeout nor the yield could stop them: over a 1 MB body each held the
 * event loop for minutes. Results and order are jsonata's.
 */

type Focus = jsonata.Focus & { createSequence?: (...items: unknown[]) => unknown[] };
type Comparator = (a: unknown, b: unknown) => unknown;

/** A value a key cannot stand for exactly (jsonata compares it its own way). */
const UNKEYABLE = Symbol('unkeyable');

/**
 * One string per deep-equality class of jsonata's `isDeepEqual`: JSON with sorted
 * object keys. Gives up (UNKEYABLE) on values JSON would blur (undefined, functions,
 * non-finite numbers) and past `budget` characters (shared parts expand).
 */
function keyOf(value: unknown, budget: { left: number }): string | typeof UNKEYABLE {
  let out = '';
  const walk = (v: unknown): boolean => {
    if (--budget.left < 0) return false;
    if (v === null) out += 'null';
    else if (typeof v === 'string') {
      budget.left -= v.length;
      out += JSON.stringify(v);
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return false;
      out += String(v);
    } else if (typeof v === 'boolean') out += v ? 'true' : 'false';
    else if (Array.isArray(v)) {
      out += '[';
      for (let i = 0; i < v.length; i++) {
        if (i > 0) out += ',';
        if (!walk(v[i])) return false;
      }
      out += ']';
    } else if (typeof v === 'object' && !isFunction(v)) {
      const keys = Object.getOwnPropertyNames(v).sort();
      out += '{';
      for (let i = 0; i < keys.length; i++) {
        budget.left -= keys[i].length;
        out += (i > 0 ? ',' : '') + JSON.stringify(keys[i]) + ':';
        if (!walk((v as Record<string, unknown>)[keys[i]])) return false;
      }
      out += '}';
    } else return false;
    return true;
  };
  return walk(value) ? out : UNKEYABLE;
}

/** Gives the event loop a turn every SLICE_MS of a long native loop (checked every 1024 items). */
export class Slicer {
  private last = Date.now();
  private n = 0;
  /** `focus` gives jsonata's own time and depth check (EXPRESSION_TIMEOUT), run at each turn. */
  constructor(
    private readonly sliceMs: number,
    private readonly focus?: Focus,
  ) {}

  tick(): Promise<void> | undefined {
    if ((++this.n & 1023) !== 0 || Date.now() - this.last < this.sliceMs) return undefined;
    (this.focus?.environment as { base?: { guardrails?: () => void } } | undefined)?.base?.guardrails?.();
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => void (this.last = Date.now()));
  }
}

function isFunction(v: object): boolean {
  const f = v as { _jsonata_lambda?: boolean; _jsonata_function?: boolean };
  return typeof v === 'function' || f._jsonata_lambda === true || f._jsonata_function === true;
}

function sequenceLike(focus: Focus, arr: unknown[]): unknown[] {
  return (arr as { sequence?: boolean }).sequence === true && focus.createSequence ? focus.createSequence() : [];
}

/**
 * jsonata's `$distinct` in linear time: scalars by identity (jsonata's `===`), objects
 * and arrays by their sorted-key JSON. Values no key stands for exactly are compared
 * the way jsonata does, against the few such values kept.
 */
export async function distinct(this: Focus, arr: unknown, budgetChars: number, tooBig: () => Error, sliceMs: number): Promise<unknown> {
  if (!Array.isArray(arr) || arr.length <= 1) return arr;
  const results = sequenceLike(this, arr);
  const scalars = new Set<unknown>();
  const structures = new Set<string>();
  const odd: unknown[] = [];
  const budget = { left: budgetChars };
  const slicer = new Slicer(sliceMs, this);
  for (const value of arr) {
    const turn = slicer.tick();
    if (turn) await turn;
    if (value === null || typeof value !== 'object') {
      if (scalars.has(value)) continue;
      scalars.add(value);
    } else {
      const key = keyOf(value, budget);
      if (budget.left < 0) throw tooBig();
      if (key === UNKEYABLE) {
        if (odd.some((o) => deepEqual(o, value))) continue;
        odd.push(value);
      } else {
        if (structures.has(key)) continue;
        structures.add(key);
      }
    }
    results.push(value);
  }
  return results;
}

/** jsonata's isDeepEqual, for the rare values `keyOf` leaves out. */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  const ak = Object.getOwnPropertyNames(a).sort();
  const bk = Object.getOwnPropertyNames(b).sort();
  if (ak.length !== bk.length || ak.some((k, i) => k !== bk[i])) return false;
  return ak.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * jsonata's `$sort` (stable; the comparator returning true puts its second argument
 * first) as a bottom-up merge sort: O(n log n) comparisons and copies. Without a
 * comparator the native stable sort does the same order in one call.
 */
export async function sort(arr: unknown[] | undefined, comparator?: Comparator): Promise<unknown[] | undefined> {
  if (arr === undefined) return undefined;
  if (arr.length <= 1) return arr;
  if (comparator === undefined) {
    const numbers = arr.every((x) => typeof x === 'number');
    if (!numbers && !arr.every((x) => typeof x === 'string')) throw { stack: new Error().stack, code: 'D3070', index: 1 };
    const copy = arr.slice();
    return numbers
      ? copy.sort((a, b) => (a as number) - (b as number))
      : copy.sort((a, b) => ((a as string) > (b as string) ? 1 : (a as string) < (b as string) ? -1 : 0));
  }
  let src = arr.slice();
  let dst = new Array<unknown>(arr.length);
  for (let width = 1; width < src.length; width *= 2) {
    for (let lo = 0; lo < src.length; lo += 2 * width) {
      const mid = Math.min(lo + width, src.length);
      const hi = Math.min(lo + 2 * width, src.length);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) dst[k++] = (await comparator(src[i], src[j])) ? src[j++] : src[i++];
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    [src, dst] = [dst, src];
  }
  return src;
}

/** jsonata's `$spread`, collecting into one array instead of concatenating per item. */
export async function spread(this: Focus, arg: unknown, sliceMs: number): Promise<unknown> {
  if (!Array.isArray(arg)) return spreadOne(this, arg);
  // jsonata's concatenation turns the sequence into a plain array once anything is added.
  const result: unknown[] = [];
  let added = false;
  const slicer = new Slicer(sliceMs, this);
  for (const item of arg) {
    const turn = slicer.tick();
    if (turn) await turn;
    const part = spreadOne(this, item);
    if (part === undefined) continue;
    added = true;
    if (Array.isArray(part)) for (const p of part) result.push(p);
    else result.push(part);
  }
  return added ? result : this.createSequence ? this.createSequence() : result;
}

function spreadOne(focus: Focus, arg: unknown): unknown {
  if (Array.isArray(arg)) return spreadArray(focus, arg);
  if (arg === null || typeof arg !== 'object' || (arg as { _jsonata_lambda?: boolean })._jsonata_lambda === true) return arg;
  const result = focus.createSequence ? focus.createSequence() : [];
  for (const key of Object.keys(arg)) {
    const obj = Object.create(null) as Record<string, unknown>;
    obj[key] = (arg as Record<string, unknown>)[key];
    result.push(obj);
  }
  return result;
}

/** Nested arrays (rare, never body-sized in one call) are spread without yielding. */
function spreadArray(focus: Focus, arg: unknown[]): unknown[] {
  const result: unknown[] = [];
  for (const item of arg) {
    const part = spreadOne(focus, item);
    if (Array.isArray(part)) for (const p of part) result.push(p);
    else if (part !== undefined) result.push(part);
  }
  return result;
}

/** The functions `=` and `!=` are rewritten to (see `rewriteEquality`). */
export const EQ = '__itinera_eq';
export const NE = '__itinera_ne';

/**
 * jsonata's deep equality, remembering the pairs of objects already found equal and
 * counting the values it visits: two structures whose parts are shared millions of
 * times compare in time linear in their distinct parts (jsonata's own walks every
 * expanded copy in one native call, minutes), and anything past `budget` values stops.
 */
export function equals(a: unknown, b: unknown, budget: number, tooBig: () => Error): boolean {
  if (a === undefined || b === undefined) return false;
  const proven = new Map<object, Set<object>>();
  let left = budget;
  const eq = (x: unknown, y: unknown): boolean => {
    if (x === y) return true;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (proven.get(x)?.has(y)) return true;
    if (--left < 0) throw tooBig();
    let same: boolean;
    if (Array.isArray(x) && Array.isArray(y)) {
      same = x.length === y.length && x.every((v, i) => eq(v, y[i]));
    } else {
      const xk = Object.getOwnPropertyNames(x).sort();
      const yk = Object.getOwnPropertyNames(y).sort();
      same =
        xk.length === yk.length && xk.every((k, i) => k === yk[i]) && xk.every((k) => eq((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]));
    }
    if (same) {
      let s = proven.get(x);
      if (!s) proven.set(x, (s = new Set()));
      s.add(y);
    }
    return same;
  };
  return eq(a, b);
}

/** Replace each `=` and `!=` node of a compiled AST by a call of EQ or NE (same operands, same order). */
export function rewriteEquality(ast: unknown): void {
  const seen = new Set<unknown>();
  const walk = (node: unknown): void => {
    if (node === null || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    for (const child of Object.values(node)) walk(child);
    const n = node as Record<string, unknown>;
    if (n.type === 'binary' && (n.value === '=' || n.value === '!=')) {
      const { lhs, rhs, position } = n;
      const name = n.value === '=' ? EQ : NE;
      delete n.lhs;
      delete n.rhs;
      Object.assign(n, { type: 'function', value: '(', arguments: [lhs, rhs], procedure: { type: 'variable', value: name, position } });
    }
  };
  walk(ast);
}

interface Match {
  match: string;
  start: number;
  groups: string[];
  next(): Match | undefined | Promise<Match | undefined>;
}

/**
 * jsonata's `$match`, giving the event loop a turn every `sliceMs` and stopping past
 * `maxItems` matches: a one-character pattern over a 1 MB string made a million match
 * objects in one native call (seconds, on the event loop by default).
 */
export async function match(
  this: Focus,
  str: string | undefined,
  regex: (s: string) => Match | undefined | Promise<Match | undefined>,
  limit: number | undefined,
  sliceMs: number,
  maxItems: number,
  tooMany: () => Error,
): Promise<unknown> {
  if (str === undefined) return undefined;
  if (limit !== undefined && limit < 0) throw { stack: new Error().stack, value: limit, code: 'D3040', index: 3 };
  const result = this.createSequence ? this.createSequence() : [];
  if (limit !== undefined && limit <= 0) return result;
  const slicer = new Slicer(sliceMs, this);
  let count = 0;
  for (let m = await regex(str); m !== undefined && (limit === undefined || count < limit); m = await m.next()) {
    if (++count > maxItems) throw tooMany();
    result.push({ match: m.match, index: m.start, groups: m.groups });
    const turn = slicer.tick();
    if (turn) await turn;
  }
  return result;
}
