import { describe, expect, it } from 'vitest';
import type { MessageStore } from '@itinera/core';
import { MAX_BODY_DEPTH, fitsJson, unfitJsonAt } from './gateway';
import { ReplyHub } from './reply-hub';

const nested = (depth: number, leaf: unknown = 1): unknown => (depth === 0 ? leaf : { a: nested(depth - 1, leaf) });

describe('fitsJson (the common case of unfitJsonAt)', () => {
  it('agrees with unfitJsonAt on depth, numbers and bigint', () => {
    const cases: unknown[] = [
      null,
      'x',
      1,
      -0,
      Infinity,
      NaN,
      10n,
      [],
      {},
      { a: [1, 2, { b: 'c' }] },
      { a: [1, { b: Infinity }] },
      { a: [1, { b: 2n }] },
      nested(MAX_BODY_DEPTH),
      nested(MAX_BODY_DEPTH + 1),
      nested(MAX_BODY_DEPTH - 1, { deep: -Infinity }),
      [[[[]]]],
      { 'content-type': 'application/json', 'x-tenant': 'acme' },
    ];
    cases.forEach((value, i) => expect(fitsJson(value), `case ${i}`).toBe(unfitJsonAt(value, MAX_BODY_DEPTH) === undefined));
  });

  it('a value only an inherited enumerable key makes unfit is left to the exact walk, which accepts it', () => {
    const value = Object.create({ inherited: Infinity }) as Record<string, unknown>;
    value.own = 1;
    expect(fitsJson(value)).toBe(false);
    expect(unfitJsonAt(value, MAX_BODY_DEPTH)).toBeUndefined();
  });
});

describe('ReplyHub capture', () => {
  const hub = () => new ReplyHub({} as MessageStore);
  const envelope = (id: string) => ({ id }) as Parameters<ReplyHub['reply']>[0];

  it('returns the reply a receive-stage step gave, once', async () => {
    const h = hub();
    h.startCapture('m1');
    await h.reply(envelope('m1'), { ok: true });
    expect(h.endCapture('m1')).toEqual({ body: { ok: true } });
    expect(h.endCapture('m1')).toBeUndefined();
  });

  it('no reply, or a message never captured, gives undefined; an undefined body is still a reply', async () => {
    const h = hub();
    h.startCapture('m2');
    expect(h.endCapture('m2')).toBeUndefined();
    expect(h.endCapture('never')).toBeUndefined();
    h.startCapture('m3');
    await h.reply(envelope('m3'), undefined);
    expect(h.endCapture('m3')).toEqual({ body: undefined });
  });
});
