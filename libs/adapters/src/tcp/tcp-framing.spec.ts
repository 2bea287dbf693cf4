import { describe, expect, it } from 'vitest';
import { FrameDecoder, LENGTH_PREFIX_BYTES, encodeFrame } from './tcp-framing';

const texts = (frames: Buffer[]) => frames.map((f) => f.toString('utf8'));

describe('TCP framing', () => {
  it('encodes the 4-byte big-endian length of the UTF-8 bytes, then the bytes', () => {
    const f = encodeFrame('{"type":"ping","x":"é"}');
    expect(f.readUInt32BE(0)).toBe(Buffer.byteLength('{"type":"ping","x":"é"}'));
    expect(f.subarray(LENGTH_PREFIX_BYTES).toString('utf8')).toBe('{"type":"ping","x":"é"}');
    expect([...encodeFrame('').values()]).toEqual([0, 0, 0, 0]);
  });

  it('decodes the same frames wherever the stream is split, including inside the prefix', () => {
    const payloads = ['{"type":"hello"}', '', '{"type":"send","body":{"text":"ünïcödé"}}', 'x'.repeat(300)];
    const stream = Buffer.concat(payloads.map((p) => encodeFrame(p)));
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder(1024);
      const got = [...d.push(stream.subarray(0, cut)).frames, ...d.push(stream.subarray(cut)).frames];
      expect(texts(got), `split at ${cut}`).toEqual(payloads);
      expect(d.buffered).toBe(0);
    }
  });

  it('decodes a stream arriving one byte at a time, holding the incomplete frame', () => {
    const d = new FrameDecoder(1024);
    const stream = Buffer.concat([encodeFrame('{"a":1}'), encodeFrame('{"b":2}')]);
    const got: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) {
      got.push(...d.push(stream.subarray(i, i + 1)).frames);
      if (i === 5) expect(d.buffered).toBe(6);
    }
    expect(texts(got)).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('decodes several frames from one chunk, and keeps the tail of the next', () => {
    const d = new FrameDecoder(1024);
    const next = encodeFrame('{"c":3}');
    const r = d.push(Buffer.concat([encodeFrame('{"a":1}'), encodeFrame('{"b":2}'), next.subarray(0, 6)]));
    expect(texts(r.frames)).toEqual(['{"a":1}', '{"b":2}']);
    expect(d.buffered).toBe(6);
    expect(texts(d.push(next.subarray(6)).frames)).toEqual(['{"c":3}']);
  });

  it('accepts a frame of exactly the maximum; reports a larger declared length before its body, then stops', () => {
    const d = new FrameDecoder(8);
    expect(texts(d.push(encodeFrame('12345678')).frames)).toEqual(['12345678']);
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(9);
    const r = d.push(Buffer.concat([encodeFrame('ok'), prefix]));
    expect(texts(r.frames)).toEqual(['ok']);
    expect(r.tooLarge).toBe(9);
    expect(d.buffered).toBe(0);
    // Whatever follows is not read: the connection is being closed.
    expect(d.push(encodeFrame('late')).frames).toEqual([]);
  });

  it('reports a huge declared length (4 GiB - 1) without allocating it', () => {
    const d = new FrameDecoder(1_048_576);
    const r = d.push(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7b]));
    expect(r).toEqual({ frames: [], tooLarge: 0xffffffff });
  });
});
