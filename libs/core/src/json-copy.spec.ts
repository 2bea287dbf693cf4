import { describe, expect, it } from 'vitest';
import { jsonCopy } from './json-copy';

const roundTrip = (v: unknown) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

class Point {
  constructor(
    public x: number,
    public y: number,
  ) {}
}

describe('jsonCopy', () => {
  const cases: [string, unknown][] = [
    ['plain object', { a: 1, b: 'x', c: [1, 2, { d: null }], e: true }],
    ['undefined fields dropped', { a: undefined, b: 1 }],
    ['integer keys first', { b: 1, 2: 'two', a: 3, 1: 'one' }],
    ['-0 becomes 0', { z: -0 }],
    ['NaN and Infinity become null', { n: NaN, i: [Infinity] }],
    ['undefined in an array becomes null', [1, undefined, 3]],
    ['a Date becomes its ISO string', { at: new Date(0) }],
    ['toJSON is called', { v: { toJSON: () => 'custom' } }],
    ['toJSON on an array is called', { a: Object.assign([1, 2], { toJSON: () => 'X' }) }],
    ['a class instance loses its prototype', { p: new Point(1, 2) }],
    ['a null-prototype object', Object.assign(Object.create(null), { a: 1 })],
    ['functions and symbols dropped', { f: () => 1, s: Symbol('s'), k: 1 }],
    ['lone surrogate kept', { s: 'a\ud800b' }],
    ['top-level string', 'text'],
    ['top-level null', null],
  ];
  for (const [name, value] of cases) {
    it(`gives what a JSON round trip gives: ${name}`, () => {
      const copied = jsonCopy(value);
      expect(copied).toEqual(roundTrip(value));
      expect(JSON.stringify(copied)).toBe(JSON.stringify(value));
      if (name === '-0 becomes 0') expect(Object.is((copied as { z: number }).z, 0)).toBe(true);
    });
  }

  it('copies every object and array, so mutating the copy leaves the source alone', () => {
    const source = { a: { b: [1, { c: 2 }] } };
    const copied = jsonCopy(source);
    (copied.a.b[1] as { c: number }).c = 99;
    (copied.a.b as unknown[]).push(3);
    expect(source).toEqual({ a: { b: [1, { c: 2 }] } });
  });

  it('keeps a "__proto__" key as data, as JSON.parse does, without touching the prototype', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
    const copied = jsonCopy(value) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copied)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(copied)).toBe(JSON.stringify(value));
  });

  it('throws what JSON.stringify throws: cycles and BigInt', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => jsonCopy(cyclic)).toThrow(TypeError);
    expect(() => jsonCopy({ n: 10n })).toThrow(TypeError);
  });

  it('handles very deep values through the JSON path', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 500; i++) deep = { d: deep };
    expect(jsonCopy(deep)).toEqual(roundTrip(deep));
  });
});
