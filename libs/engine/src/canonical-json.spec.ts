import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  it('sorts object keys at every depth and keeps array order', () => {
    const a = { b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } };
    const b = { a: { c: 'x', d: [3, { y: 2, z: 1 }] }, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it('writes scalars, odd keys and undefined as JSON.stringify does', () => {
    for (const v of [null, true, 0, -1.5, 'a"b\u2028', '', [], {}, { '': 1, é: 2, __proto__x: 3 }, [undefined, 1]]) {
      expect(JSON.parse(canonicalJson(v))).toEqual(JSON.parse(JSON.stringify(v)));
    }
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });

  it('tells a changed value apart', () => {
    expect(canonicalJson({ a: 1, b: 2 })).not.toBe(canonicalJson({ b: 2, a: 2 }));
    expect(canonicalJson({ a: '1' })).not.toBe(canonicalJson({ a: 1 }));
  });
});
