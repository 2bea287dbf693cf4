/**
 * The contract every duplex transport driver of the conformance suite fulfils: open a
 * session, send, receive callback and fault frames with their `seq`, acknowledge,
 * go away and resume (on a given node, over this transport), end, and show its
 * heartbeat. Drivers speak the wire protocol of PROTOCOL.md (or the public client
 * library where that is the way a client speaks it), never the bus's internals.
 */

export type Transport = 'ws' | 'poll' | 'dual-http' | 'tcp';

/** One gateway node as a client reaches it. */
export interface NodeTarget {
  name: string;
  /** Base HTTP URL (`http://127.0.0.1:port`). */
  url: string;
  /** Its ITINERA_TCP_PORT. */
  tcpPort: number;
}

/** A callback or fault frame as the client received it. */
export interface OutboxFrame {
  type: 'callback' | 'fault';
  seq: number;
  action?: string;
  id?: string;
  correlationId?: string;
  body?: any;
  error?: { code: string; message: string; step?: string };
}

/** What a client keeps to resume a session. */
export interface SessionRef {
  session: string;
  token: string;
  /** Dual HTTP: the key the callbacks are signed with (returned once). */
  webhookSecret?: string;
}

export interface SendAnswer {
  accepted: boolean;
  messageId?: string;
  /** The error code when not accepted. */
  code?: string;
}

export interface OpenOptions {
  /** API key or JWT (`hello.credential`, `X-Api-Key` / `Authorization: Bearer`). */
  credential?: string;
  /** A browser's `Origin` header (transports a browser can use). */
  origin?: string;
  /** Acknowledge each frame as it arrives, as the client library does (default true). */
  autoAck?: boolean;
}

export interface ResumeOptions {
  /** The highest seq the client has handled (a cumulative ack); omitted: claim nothing. */
  lastSeq?: number;
  autoAck?: boolean;
}

/** How a transport shows that both ends are alive. */
export interface Liveness {
  kind: 'server-ping' | 'client-ping' | 'poll-hold';
  beats: number;
}

/** The cases a transport may be unable to do by design (then the driver says why). */
export type CaseName = 'heartbeat' | 'cross-transport' | 'origin';
export type NotApplicable = Partial<Record<CaseName, string>>;

/** A session refused (at open or resume): the stable code and, over HTTP, the status. */
export class Refused extends Error {
  constructor(
    readonly code: string,
    readonly status?: number,
    detail = '',
  ) {
    super(`refused ${code}${status ? ` (${status})` : ''}: ${detail}`);
    this.name = new.target.name;
  }
}

export interface DriverSession {
  readonly transport: Transport;
  readonly ref: SessionRef;
  /** Callback and fault frames in arrival order (a redelivered frame shows twice). */
  readonly frames: OutboxFrame[];
  send(itinerary: string, action: string, body?: unknown): Promise<SendAnswer>;
  /** Resolves once a frame with this seq has arrived. */
  waitForSeq(seq: number, timeoutMs?: number): Promise<OutboxFrame[]>;
  /** Acknowledge up to `seq` (cumulative). */
  ack(seq: number): Promise<void>;
  /** Go away without ending the session (connection dropped, polling stopped, receiver down). */
  disconnect(): Promise<void>;
  /** End the session for good (`bye`, `DELETE`). */
  end(): Promise<void>;
}

export interface DuplexDriver {
  readonly transport: Transport;
  /** Acknowledgement is the answer to a delivery (dual HTTP's 2xx), not a frame of its own. */
  readonly acksOnReceipt: boolean;
  /** Cases this transport cannot do by design, each with the reason from PROTOCOL.md. */
  readonly notApplicable: NotApplicable;
  open(node: NodeTarget, opts?: OpenOptions): Promise<DriverSession>;
  resume(node: NodeTarget, ref: SessionRef, opts?: ResumeOptions): Promise<DriverSession>;
  /** Heartbeats seen over `forMs` on an idle, well-behaved session. */
  observeLiveness(node: NodeTarget, forMs: number, credential: string): Promise<Liveness>;
  /** A client that stops its side of the heartbeat: resolves when the server dropped it (true) or after `waitMs` (false). */
  goSilent(node: NodeTarget, waitMs: number, credential: string): Promise<{ ref: SessionRef; dropped: boolean }>;
  /** Release what the driver holds (sockets, the webhook receiver). */
  close(): Promise<void>;
}

/** The frames a session received, and waiting for a given seq. */
export class FrameLog {
  readonly frames: OutboxFrame[] = [];
  private waiters: (() => void)[] = [];

  record(frame: OutboxFrame): void {
    this.frames.push(frame);
    for (const w of this.waiters.splice(0)) w();
  }

  /** Wake waiters (e.g. the link closed) without a frame. */
  poke(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  highest(): number {
    return this.frames.reduce((m, f) => Math.max(m, f.seq), 0);
  }

  async waitForSeq(seq: number, timeoutMs = 15_000): Promise<OutboxFrame[]> {
    const end = Date.now() + timeoutMs;
    while (!this.frames.some((f) => f.seq === seq)) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no frame with seq ${seq} within ${timeoutMs} ms; got seqs ${JSON.stringify(this.frames.map((f) => f.seq))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
    return this.frames;
  }
}

/** A credential in the header a client puts it in on HTTP: a JWT as a bearer token, anything else as an API key. */
export function credentialHeaders(credential?: string): Record<string, string> {
  if (!credential) return {};
  return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(credential) ? { authorization: `Bearer ${credential}` } : { 'x-api-key': credential };
}

export const isOutboxFrame = (f: any): f is OutboxFrame => (f?.type === 'callback' || f?.type === 'fault') && typeof f.seq === 'number';
