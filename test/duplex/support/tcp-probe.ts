import { connect, type Socket } from 'node:net';
import { FrameDecoder, encodeFrame } from '@itinera/adapters';
import { FrameProbe } from '../../support/duplex';

/** A raw TCP duplex client for tests: length-prefixed frames in and out, raw bytes when a test needs them. */
export class RawTcp extends FrameProbe {
  private readonly decoder = new FrameDecoder(64 * 1024 * 1024);
  readonly ended: Promise<void>;
  isClosed = false;

  private constructor(readonly socket: Socket) {
    super();
    socket.on('data', (chunk: Buffer) => {
      for (const payload of this.decoder.push(chunk).frames) this.received(payload.toString('utf8'));
    });
    socket.on('error', () => undefined);
    this.ended = new Promise((resolve) => socket.once('close', () => ((this.isClosed = true), resolve())));
  }

  static async open(port: number, hello: Record<string, unknown> | false = { type: 'hello' }): Promise<RawTcp> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new RawTcp(socket);
    if (hello) await client.greet(hello);
    return client;
  }

  /** One frame: an object is sent as JSON, a string as its UTF-8 text. */
  send(frame: unknown): void {
    this.socket.write(encodeFrame(typeof frame === 'string' ? frame : JSON.stringify(frame)));
  }

  /** Raw bytes, as they are. */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Resolves when the server closed the connection, or rejects after `timeoutMs`. */
  closed(timeoutMs = 10_000): Promise<void> {
    return Promise.race([
      this.ended,
      new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`still open after ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`)), timeoutMs)),
    ]);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
