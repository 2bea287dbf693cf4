import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { ItineraError } from '@itinera/core';
import type { DuplexSocket } from '../duplex/duplex-socket';
import { errorFrame } from '../duplex/duplex-frames';
import { FrameDecoder, encodeFrame } from './tcp-framing';

export interface FramedSocketOptions {
  /** Largest declared frame length; a longer one gets FRAME_TOO_LARGE and the connection closes. */
  maxFrameBytes: number;
  /** A frame started but not complete after this long: REQUEST_TIMEOUT and close (a slow sender). */
  frameTimeoutMs: number;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** How long a closed connection may take to flush before it is destroyed. */
const CLOSE_GRACE_MS = 1000;

/** The close codes of the WebSocket duplex, reused in the TCP `close` frame. */
const TOO_LARGE = 1009;
const POLICY = 1008;

/**
 * A length-prefixed TCP (or TLS) socket with the surface of a `ws` WebSocket, so a
 * DuplexConnection runs on it unchanged. TCP has no close handshake: before ending
 * the connection the server writes a last frame `{"type":"close","code","reason"}`
 * with the code a WebSocket would have closed with. TCP has no ping frames either:
 * `ping()` does nothing, the client pings with `{"type":"ping"}` and any frame it
 * sends counts as liveness.
 */
export class FramedSocket extends EventEmitter implements DuplexSocket {
  readonly OPEN = OPEN;
  private state = OPEN;
  private code = 1006;
  private readonly decoder: FrameDecoder;
  private frameTimer?: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    private readonly opts: FramedSocketOptions,
  ) {
    super();
    this.decoder = new FrameDecoder(opts.maxFrameBytes);
    if (socket.connecting) this.state = CONNECTING;
    socket.on('connect', () => (this.state = OPEN));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // The peer ended its side: nothing more will come; finish ours.
    socket.on('end', () => this.finish());
    socket.on('error', (err) => this.emit('error', err));
    socket.on('close', () => {
      this.state = CLOSED;
      this.clearFrameTimer();
      this.emit('close', this.code);
    });
  }

  get readyState(): number {
    return this.state;
  }

  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  send(text: string, cb?: (err?: Error) => void): void {
    if (this.state !== OPEN) {
      cb?.(new Error('the connection is closed'));
      return;
    }
    this.socket.write(encodeFrame(text), cb && ((err) => cb(err ?? undefined)));
  }

  ping(): void {
    // No transport ping on TCP: the client sends {"type":"ping"} at least every heartbeat.
  }

  /** Write the `close` frame stating why, then end the connection (destroyed if it does not flush in time). */
  close(code: number, reason: string): void {
    if (this.state !== OPEN) return;
    this.socket.write(encodeFrame(JSON.stringify({ type: 'close', code, reason })));
    this.code = code;
    this.finish();
  }

  terminate(): void {
    this.state = CLOSING;
    this.clearFrameTimer();
    this.socket.destroy();
  }

  private finish(): void {
    if (this.state >= CLOSING) return;
    this.state = CLOSING;
    this.clearFrameTimer();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  private onData(chunk: Buffer): void {
    if (this.state !== OPEN) return;
    const { frames, tooLarge } = this.decoder.push(chunk);
    for (const frame of frames) {
      if (this.state !== OPEN) return;
      this.emit('message', frame, false);
    }
    if (tooLarge !== undefined) return this.refuse(tooLarge);
    // The timer measures the frame now incomplete: restarted when an earlier one completed.
    if (this.decoder.buffered === 0) this.clearFrameTimer();
    else if (frames.length > 0 || !this.frameTimer) this.startFrameTimer();
  }

  /** A declared length above the limit: say so and close, before reading any of it. */
  private refuse(length: number): void {
    if (this.state !== OPEN) return;
    const max = this.opts.maxFrameBytes;
    this.send(
      JSON.stringify(
        errorFrame(new ItineraError('FRAME_TOO_LARGE', `A frame declared ${length} bytes; frames are limited to ${max} bytes (ITINERA_TCP_MAX_FRAME_BYTES). Send smaller frames.`)),
      ),
    );
    this.close(TOO_LARGE, 'frame too large');
  }

  private startFrameTimer(): void {
    this.clearFrameTimer();
    this.frameTimer = setTimeout(() => {
      this.frameTimer = undefined;
      if (this.state !== OPEN) return;
      const ms = this.opts.frameTimeoutMs;
      this.send(
        JSON.stringify(
          errorFrame(
            new ItineraError(
              'REQUEST_TIMEOUT',
              `A frame was not complete ${ms} ms after it started (${this.decoder.buffered} bytes received); send each frame whole, without pausing in it.`,
            ),
          ),
        ),
      );
      this.close(POLICY, 'frame not completed in time');
    }, this.opts.frameTimeoutMs);
    this.frameTimer.unref();
  }

  private clearFrameTimer(): void {
    if (this.frameTimer) clearTimeout(this.frameTimer);
    this.frameTimer = undefined;
  }
}
