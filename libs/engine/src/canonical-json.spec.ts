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

  it('leaves the input untouched', () => {
    const body = { b: [{ d: 1, c: 2 }], a: 1 };
    canonicalJson(body);
    expect(Object.keys(body)).toEqual(['b', 'a']);
    expect(Object.keys(body.b[0])).toEqual(['d', 'c']);
  });

  it('writes scalars, odd keys and undefined as JSON.stringify does', () => {
    for (const v of [null, true, 0, -1.5, 'a"b\u2028', '', [], {}, { '': 1, é: 2, __proto__x: 3 }, [undefined, 1]]) {
      expect(JSON.parse(canonicalJson(v))).toEqual(JSON.parse(JSON.stringify(v)));
    }
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });

  it('integer-like and "__proto__" keys: one text for any order, nothing polluted', () => {
    expect(canonicalJson({ b: 3, '10': 1, '2': 2 })).toBe(canonicalJson({ '2': 2, b: 3, '10': 1 }));
    const x = JSON.parse('{"z":1,"__proto__":{"polluted":true}}');
    const y = JSON.parse('{"__proto__":{"polluted":true},"z":1}');
    expect(canonicalJson(x)).toBe(canonicalJson(y));
    expect(canonicalJson(x)).toContain('"__proto__":{"polluted":true}');
    const nested = JSON.parse('{"__proto__":{"b":1,"a":2},"z":1}');
    expect(canonicalJson(nested)).toBe('{"__proto__":{"a":2,"b":1},"z":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('tells a changed value apart', () => {
    expect(canonicalJson({ a: 1, b: 2 })).not.toBe(canonicalJson({ b: 2, a: 2 }));
    expect(canonicalJson({ a: '1' })).not.toBe(canonicalJson({ a: 1 }));
  });
});
