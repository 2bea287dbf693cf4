import { CLIENT_ERROR_CODES, ItineraClientError } from './errors';
import { SERVER_CLOSE, type AcceptedFrame, type ClosingInfo, type ClosingReason, type ResumeInfo, type SendFrame, type Welcome } from './frames';
import type { Link, LinkEvents, LinkLoss } from './link';

export const SUBPROTOCOL = 'itinera.v1';

/** What the client needs of a WebSocket: the browser's, or the `ws` package's in Node. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** A WebSocket constructor: `globalThis.WebSocket`, or `require('ws')` in Node. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => unknown;

const OPEN = 1;

const CLOSE_REASONS: Record<number, ClosingReason> = {
  [SERVER_CLOSE.shutdown]: 'shutdown',
  [SERVER_CLOSE.expired]: 'expired',
  [SERVER_CLOSE.replaced]: 'replaced',
  [SERVER_CLOSE.ended]: 'ended',
};

interface Pending {
  resolve(frame: AcceptedFrame): void;
  reject(err: ItineraClientError): void;
}

/** The duplex over one WebSocket (`/duplex`, subprotocol itinera.v1). */
export class WebSocketLink implements Link {
  readonly transport = 'websocket' as const;
  private ws?: WebSocketLike;
  private readonly pending = new Map<string, Pending>();
  private closing?: ClosingInfo;
  private heartbeat?: ReturnType<typeof setInterval>;
  private lastHeard = 0;
  private done = false;

  constructor(
    private readonly url: string,
    private readonly Ctor: WebSocketConstructor,
    private readonly events: LinkEvents & { error?(err: ItineraClientError): void },
    private readonly opts: { connectTimeoutMs: number; credential?: string },
  ) {}

  open(resume?: ResumeInfo): Promise<Welcome> {
    return new Promise<Welcome>((resolve, reject) => {
      let settled = false;
      const fail = (err: ItineraClientError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.done = true;
        this.detach();
        reject(err);
      };
      let ws: WebSocketLike;
      try {
        ws = new this.Ctor(this.url, SUBPROTOCOL) as WebSocketLike;
      } catch (err) {
        reject(new ItineraClientError(CLIENT_ERROR_CODES.CONNECT_FAILED, `Cannot open a WebSocket to ${this.url}: ${(err as Error).message}`, { cause: err }));
        return;
      }
      this.ws = ws;
      const timer = setTimeout(
        () => fail(new ItineraClientError(CLIENT_ERROR_CODES.CONNECT_FAILED, `No welcome from ${this.url} within ${this.opts.connectTimeoutMs} ms.`)),
        this.opts.connectTimeoutMs,
      );
      ws.onopen = () => {
        if (ws.protocol !== SUBPROTOCOL)
          return fail(new ItineraClientError(CLIENT_ERROR_CODES.CONNECT_FAILED, `The server at ${this.url} did not accept the subprotocol ${SUBPROTOCOL}.`));
        // The credential opens a session; a resume is proven by the session token.
        const credential = this.opts.credential ? { credential: this.opts.credential } : {};
        ws.send(
          JSON.stringify(resume ? { type: 'hello', session: resume.session, token: resume.token, lastSeq: resume.lastSeq } : { type: 'hello', ...credential }),
        );
      };
      ws.onerror = () => undefined; // onclose follows with the code
      ws.onclose = (ev) => {
        if (!settled)
          return fail(new ItineraClientError(CLIENT_ERROR_CODES.CONNECT_FAILED, `The WebSocket to ${this.url} closed before welcome (code ${ev.code}).`));
        this.onClose(ev.code, ev.reason);
      };
      ws.onmessage = (ev) => {
        this.lastHeard = Date.now();
        const frame = parse(ev.data);
        if (!frame) return;
        if (settled) return this.onFrame(frame);
        if (frame.type === 'welcome') {
          settled = true;
          clearTimeout(timer);
          this.startHeartbeat(typeof frame.heartbeatMs === 'number' ? frame.heartbeatMs : 15_000);
          resolve(frame as unknown as Welcome);
        } else if (frame.type === 'error') {
          const e = frame.error as { code: string; message: string };
          fail(new ItineraClientError(e.code, e.message));
        }
      };
    });
  }

  send(frame: SendFrame): Promise<AcceptedFrame> {
    const ws = this.ws;
    if (!ws || this.done || ws.readyState !== OPEN) {
      return Promise.reject(new ItineraClientError(CLIENT_ERROR_CODES.NOT_SENT, 'The WebSocket is not open.'));
    }
    return new Promise<AcceptedFrame>((resolve, reject) => {
      this.pending.set(frame.id, { resolve, reject });
      ws.send(JSON.stringify(frame));
    });
  }

  ack(seq: number): void {
    if (this.ws && !this.done && this.ws.readyState === OPEN) this.ws.send(JSON.stringify({ type: 'ack', seq }));
  }

  async close(end: boolean): Promise<void> {
    const ws = this.ws;
    if (!ws || this.done) return;
    this.done = true;
    this.stopHeartbeat();
    this.failPending(CLIENT_ERROR_CODES.CONNECTION_LOST, 'The connection was closed before the bus answered; the message may or may not have been accepted.');
    if (ws.readyState !== OPEN) return this.detach();
    const closed = new Promise<void>((resolve) => {
      ws.onclose = () => resolve();
      setTimeout(resolve, 2000);
    });
    if (end) ws.send(JSON.stringify({ type: 'bye' }));
    else ws.close(1000, 'client disconnect');
    await closed;
    this.detach();
    if (ws.readyState === OPEN) ws.close(1000);
  }

  private onFrame(frame: Record<string, unknown>): void {
    switch (frame.type) {
      case 'accepted': {
        const p = this.pending.get(frame.id as string);
        this.pending.delete(frame.id as string);
        p?.resolve(frame as unknown as AcceptedFrame);
        return;
      }
      case 'error': {
        const e = frame.error as { code: string; message: string; details?: { pointer: string; message: string }[] };
        const err = new ItineraClientError(e.code, e.message, e.details ? { details: e.details } : {});
        const p = typeof frame.id === 'string' ? this.pending.get(frame.id) : undefined;
        if (p) {
          this.pending.delete(frame.id as string);
          p.reject(err);
        } else this.events.error?.(err);
        return;
      }
      case 'callback':
      case 'fault':
        void this.events.frames([frame as never]);
        return;
      case 'closing':
        this.closing = { reason: frame.reason as ClosingReason, ...(typeof frame.retryAfterMs === 'number' ? { retryAfterMs: frame.retryAfterMs } : {}) };
        this.events.closing(this.closing);
        return;
      default:
        return; // pong, and frame types a newer server may add
    }
  }

  private onClose(code: number, reason: string): void {
    this.stopHeartbeat();
    this.failPending(
      CLIENT_ERROR_CODES.CONNECTION_LOST,
      `The connection dropped (code ${code}) before the bus answered; the message may or may not have been accepted.`,
    );
    if (this.done) return;
    this.done = true;
    this.detach();
    const inferred = CLOSE_REASONS[code];
    const closing = this.closing ?? (inferred ? { reason: inferred } : undefined);
    const loss: LinkLoss = { code, message: `WebSocket closed (${code}${reason ? ` ${reason}` : ''})` };
    if (closing) loss.closing = closing;
    if (closing?.reason === 'expired' || closing?.reason === 'ended') loss.sessionGone = true;
    this.events.lost(loss);
  }

  /** Application pings (browsers cannot see WebSocket pings): silence for two heartbeats means a dead link. */
  private startHeartbeat(ms: number): void {
    this.lastHeard = Date.now();
    this.heartbeat = setInterval(() => {
      const ws = this.ws;
      if (!ws || this.done) return;
      if (Date.now() - this.lastHeard > 2 * ms + 1000) {
        this.stopHeartbeat();
        this.failPending(
          CLIENT_ERROR_CODES.CONNECTION_LOST,
          'The connection went silent before the bus answered; the message may or may not have been accepted.',
        );
        this.done = true;
        this.detach();
        try {
          ws.close(4000, 'heartbeat timeout');
        } catch {
          /* already closing */
        }
        this.events.lost({ message: 'no answer to pings for two heartbeats' });
        return;
      }
      if (ws.readyState === OPEN) ws.send('{"type":"ping"}');
    }, ms);
    (this.heartbeat as { unref?: () => void }).unref?.();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private failPending(code: string, message: string): void {
    for (const p of this.pending.values()) p.reject(new ItineraClientError(code, message));
    this.pending.clear();
  }

  private detach(): void {
    const ws = this.ws;
    if (!ws) return;
    ws.onmessage = null;
    ws.onopen = null;
    ws.onerror = () => undefined;
    ws.onclose = null;
    if (ws.readyState === 0 || ws.readyState === OPEN) {
      try {
        ws.close(1000);
      } catch {
        /* closing already */
      }
    }
  }
}

function parse(data: unknown): Record<string, unknown> | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const v = JSON.parse(data) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
