/**
 * A deep copy of a JSON value with exactly the result of
 * `JSON.parse(JSON.stringify(value))`, made without the text in between.
 *
 * Objects and arrays are copied; strings, numbers and booleans are immutable and
 * shared, so a message with a long text field costs a few objects, not the text
 * twice over. Plain data (objects with Object.prototype or null, arrays, strings,
 * booleans, finite numbers, null, and undefined object fields, which JSON drops)
 * takes the fast walk; anything else anywhere in the value (a Date, a class
 * instance, a toJSON method, NaN, undefined in an array, a `__proto__` key, very
 * deep nesting, a cycle) sends the whole value through JSON instead, so the two
 * give the same result and the same errors.
 */
export function jsonCopy<T>(value: T): T {
  // undefined stays undefined (JSON.parse would throw on the nothing JSON.stringify gives for it).
  if (value === undefined) return value;
  const copied = copy(value, 0);
  return (copied === UNFIT ? JSON.parse(JSON.stringify(value)) : copied) as T;
}

const UNFIT = Symbol('unfit');
/** Deeper than this, the JSON path decides (it throws on cycles; the walk would not end). */
const MAX_DEPTH = 200;

function copy(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // -0 becomes 0 through JSON.
      return Number.isFinite(value) ? (value === 0 ? 0 : value) : UNFIT;
    case 'object': {
      if (value === null) return null;
      if (depth >= MAX_DEPTH) return UNFIT;
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype || typeof (value as { toJSON?: unknown }).toJSON === 'function') return UNFIT;
        const out = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) {
          const v = value[i];
          if (v === undefined) return UNFIT;
          const c = copy(v, depth + 1);
          if (c === UNFIT) return UNFIT;
          out[i] = c;
        }
        return out;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return UNFIT;
      const source = value as Record<string, unknown>;
      if (typeof source.toJSON === 'function') return UNFIT;
      const out: Record<string, unknown> = {};
      for (const key in source) {
        if (!Object.hasOwn(source, key)) continue;
        if (key === '__proto__') return UNFIT;
        const v = source[key];
        if (v === undefined) continue;
        const c = copy(v, depth + 1);
        if (c === UNFIT) return UNFIT;
        out[key] = c;
      }
      return out;
    }
    default:
      // undefined (in an array; object fields are skipped above), function, symbol, bigint.
      return UNFIT;
  }
}
