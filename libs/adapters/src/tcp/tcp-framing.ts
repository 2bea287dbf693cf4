/** Bytes of the length prefix in front of every TCP frame (unsigned, big-endian). */
export const LENGTH_PREFIX_BYTES = 4;

/** One frame on the wire: the 4-byte big-endian length, then the UTF-8 JSON text. */
export function encodeFrame(payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const frame = Buffer.allocUnsafe(LENGTH_PREFIX_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, LENGTH_PREFIX_BYTES);
  return frame;
}

export interface DecodeResult {
  /** Complete frame payloads, in order (possibly empty: a zero-length frame). */
  frames: Buffer[];
  /** A declared length above the limit: decoding stopped; nothing of that frame was buffered. */
  tooLarge?: number;
}

/**
 * Splits a byte stream into length-prefixed frames. Chunks are kept as they came
 * and joined once per frame, so a frame trickling in byte by byte costs one copy,
 * not one per byte. A declared length above `maxFrameBytes` is reported at once,
 * before any of its body is held.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Payload length of the frame being read; -1 while its prefix is incomplete. */
  private need = -1;
  private stopped = false;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes of an incomplete frame held (0 between frames). */
  get buffered(): number {
    return this.size;
  }

  push(chunk: Buffer): DecodeResult {
    const frames: Buffer[] = [];
    if (this.stopped) return { frames };
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.size += chunk.length;
    }
    for (;;) {
      if (this.need < 0) {
        if (this.size < LENGTH_PREFIX_BYTES) break;
        const length = this.head().readUInt32BE(0);
        if (length > this.maxFrameBytes) {
          this.stopped = true;
          this.chunks = [];
          this.size = 0;
          return { frames, tooLarge: length };
        }
        this.need = length;
      }
      const end = LENGTH_PREFIX_BYTES + this.need;
      if (this.size < end) break;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
      frames.push(all.subarray(LENGTH_PREFIX_BYTES, end));
      const rest = all.subarray(end);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.size = rest.length;
      this.need = -1;
    }
    return { frames };
  }

  /** The first chunk, merged with the next ones when the prefix spans them. */
  private head(): Buffer {
    if (this.chunks[0]!.length < LENGTH_PREFIX_BYTES) this.chunks = [Buffer.concat(this.chunks, this.size)];
    return this.chunks[0]!;
  }
}
