import { describe, expect, it } from 'vitest';
import { ItineraError } from '@itinera/core';
import { checkSendFields, errorFrame, parseClientFrame } from './duplex-frames';

const code = (text: string) => {
  const r = parseClientFrame(text);
  return r.ok ? 'ok' : r.error.code;
};

describe('parseClientFrame', () => {
  it('accepts every client frame of the contract', () => {
    expect(code('{"type":"hello"}')).toBe('ok');
    expect(code('{"type":"hello","session":"s","token":"t","lastSeq":3}')).toBe('ok');
    expect(code('{"type":"send","id":"c","itinerary":"calculator","action":"AddTo","body":{"n":1}}')).toBe('ok');
    expect(code('{"type":"send","id":"c","itinerary":"calculator","version":"1.0.0","action":"Clear"}')).toBe('ok');
    expect(code('{"type":"ack","seq":0}')).toBe('ok');
    expect(code('{"type":"ping"}')).toBe('ok');
    expect(code('{"type":"bye"}')).toBe('ok');
  });

  it('names what is wrong', () => {
    expect(code('{')).toBe('INVALID_JSON');
    expect(code('"hello"')).toBe('BAD_FRAME');
    expect(code('null')).toBe('BAD_FRAME');
    expect(code('{"type":7}')).toBe('BAD_FRAME');
    expect(code('{"type":"welcome"}')).toBe('UNKNOWN_FRAME_TYPE');
    expect(code('{"type":"ack","seq":-1}')).toBe('BAD_FRAME');
    expect(code('{"type":"ack","seq":1.5}')).toBe('BAD_FRAME');
    expect(code('{"type":"hello","token":"t"}')).toBe('BAD_FRAME');
    expect(code('{"type":"hello","session":"s","lastSeq":"3"}')).toBe('BAD_FRAME');
    const r = parseClientFrame('{"type":"send","id":"c9","action":""}');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.id).toBe('c9');
      expect(r.error.details?.map((d) => d.pointer)).toEqual(['/itinerary', '/action']);
    }
  });

  it('checkSendFields: one error per bad field', () => {
    expect(checkSendFields({ id: 'x', itinerary: 'i', action: 'a' })).toEqual([]);
    expect(checkSendFields({ id: 'x'.repeat(201), itinerary: 'i', action: 'a', version: 3 }).map((e) => e.pointer)).toEqual(['/id', '/version']);
  });

  it('errorFrame hides INTERNAL messages and keeps details of others', () => {
    expect(errorFrame(new ItineraError('INTERNAL', 'secret'), 'c')).toEqual({
      type: 'error',
      id: 'c',
      error: { code: 'INTERNAL', message: expect.not.stringContaining('secret') },
    });
    const e = errorFrame(new ItineraError('BAD_FRAME', 'bad', { details: [{ pointer: '/x', message: 'm' }] }));
    expect(e).toEqual({ type: 'error', error: { code: 'BAD_FRAME', message: 'bad', details: [{ pointer: '/x', message: 'm' }] } });
  });
});
