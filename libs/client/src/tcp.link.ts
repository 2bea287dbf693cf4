import { ItineraClientError } from './errors';
import type { AcceptedFrame, ResumeInfo, SendFrame, Welcome } from './frames';
import type { Link, LinkEvents } from './link';
import { SUBPROTOCOL, WebSocketLink, type WebSocketConstructor, type WebSocketLike } from './ws.link';

/**
 * TLS options for `tls://` URLs (Node's `tls.connect` options: `ca`, `cert`, `key`,
 * `servername`, `rejectUnauthorized`, …).
 */
export type TcpTlsOptions = Record<string, unknown>;

// Node's net and tls, described structurally: the client's declarations stay free of Node types.
interface NodeSocket {
  setNoDelay(on: boolean): unknown;
  setKeepAlive(on: boolean, initialDelayMs: number): unknown;
  write(data: Uint8Array): boolean;
  end(): unknown;
  destroy(): unknown;
  once(event: 'connect' | 'secureConnect', listener: () => void): unknown;
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
}
interface SocketModule {
  connect(opts: Record<string, unknown>): NodeSocket;
}

/** Node's `net` or `tls`, loaded when a TCP link opens, so nothing of it is imported where there is no Node. */
function nodeModule(name: 'node:net' | 'node:tls'): SocketModule {
  const getBuiltin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  const mod = getBuiltin?.(name) as SocketModule | undefined;
  if (!mod) throw new ItineraClientError('BAD_OPTIONS', 'The TCP transport needs Node (20.16 or later); in a browser use "websocket" or "long-polling".');
  return mod;
}

const LENGTH_PREFIX = 4;
const CLOSE_GRACE_MS = 1000;
const ABNORMAL = 1006;

function frameOf(text: string): Uint8Array {
  const body = new TextEncoder().encode(text);
  const out = new Uint8Array(LENGTH_PREFIX + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, LENGTH_PREFIX);
  return out;
}

/** Where `tcp://host:port` or `tls://host:port` points. */
export function tcpAddress(url: string): { host: string; port: number; secure: boolean } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ItineraClientError('BAD_OPTIONS', `Not a URL: ${url}; the TCP transport takes tcp://host:port or tls://host:port.`);
  }
  const secure = u.protocol === 'tls:';
  if ((u.protocol !== 'tcp:' && !secure) || !u.port) {
    throw new ItineraClientError('BAD_OPTIONS', `The TCP transport takes tcp://host:port or tls://host:port (the bus's ITINERA_TCP_PORT); got ${url}.`);
  }
  return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(u.port), secure };
}

/**
 * A length-prefixed TCP (or TLS) connection with the surface of a browser WebSocket,
 * so the WebSocket link's logic (hello, resume, sends, acks, heartbeat) runs on it
 * unchanged. The server's last `{"type":"close","code","reason"}` frame becomes the
 * close event's code and reason, as a WebSocket close frame would.
 */
class TcpSocket implements WebSocketLike {
  readyState = 0;
  readonly protocol = SUBPROTOCOL;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  private readonly socket: NodeSocket;
  private pending = new Uint8Array(0);
  private readonly text = new TextDecoder();
  private closeFrame?: { code: number; reason: string };
  private failure?: Error;
  private pinger?: ReturnType<typeof setInterval>;
  private wrote = false;

  constructor(url: string, tls: TcpTlsOptions | undefined) {
    const { host, port, secure } = tcpAddress(url);
    // SNI takes a host name, never an IP address (RFC 6066).
    const sni = /^[\d.]+$|:/.test(host) ? {} : { servername: host };
    this.socket = secure ? nodeModule('node:tls').connect({ ...sni, ...tls, host, port }) : nodeModule('node:net').connect({ host, port });
    this.socket.once(secure ? 'secureConnect' : 'connect', () => {
      this.readyState = 1;
      this.socket.setNoDelay(true);
      this.socket.setKeepAlive(true, 10_000);
      this.onopen?.({});
    });
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('error', (err) => {
      this.failure = err;
      this.onerror?.(err);
    });
    this.socket.on('close', () => {
      this.readyState = 3;
      if (this.pinger) clearInterval(this.pinger);
      const info = this.closeFrame ?? { code: ABNORMAL, reason: this.failure?.message ?? '' };
      this.onclose?.(info);
    });
  }

  send(data: string): void {
    if (this.readyState !== 1) return;
    this.wrote = true;
    this.socket.write(frameOf(data));
  }

  close(): void {
    if (this.readyState >= 2) return;
    this.readyState = 2;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
  }

  private onData(chunk: Uint8Array): void {
    const joined = new Uint8Array(this.pending.length + chunk.length);
    joined.set(this.pending);
    joined.set(chunk, this.pending.length);
    let at = 0;
    while (joined.length - at >= LENGTH_PREFIX) {
      const length = new DataView(joined.buffer, joined.byteOffset + at).getUint32(0);
      if (joined.length - at - LENGTH_PREFIX < length) break;
      this.onFrame(this.text.decode(joined.subarray(at + LENGTH_PREFIX, at + LENGTH_PREFIX + length)));
      at += LENGTH_PREFIX + length;
    }
    this.pending = joined.slice(at);
  }

  private onFrame(text: string): void {
    let frame: { type?: unknown; code?: unknown; reason?: unknown; heartbeatMs?: unknown } | undefined;
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      frame = undefined;
    }
    if (frame?.type === 'close') {
      this.closeFrame = { code: typeof frame.code === 'number' ? frame.code : ABNORMAL, reason: typeof frame.reason === 'string' ? frame.reason : '' };
      return;
    }
    if (frame?.type === 'welcome' && typeof frame.heartbeatMs === 'number') this.startPinging(frame.heartbeatMs);
    this.onmessage?.({ data: text });
  }

  /** TCP has no ping frames: the server counts any frame as liveness and drops a connection silent for two heartbeats. */
  private startPinging(heartbeatMs: number): void {
    this.pinger = setInterval(
      () => {
        if (!this.wrote) this.send('{"type":"ping"}');
        this.wrote = false;
      },
      Math.max(10, Math.floor(heartbeatMs / 2)),
    );
    (this.pinger as { unref?: () => void }).unref?.();
  }
}

/** The duplex over TCP (or TLS): the bus's ITINERA_TCP_PORT, Node only. */
export class TcpLink implements Link {
  readonly transport = 'tcp' as const;
  private readonly inner: WebSocketLink;

  constructor(
    url: string,
    events: LinkEvents & { error?(err: ItineraClientError): void },
    opts: { connectTimeoutMs: number; credential?: string; tls?: TcpTlsOptions },
  ) {
    tcpAddress(url);
    nodeModule('node:net');
    const tls = opts.tls;
    const Ctor = function (this: unknown, u: string) {
      return new TcpSocket(u, tls);
    } as unknown as WebSocketConstructor;
    this.inner = new WebSocketLink(url, Ctor, events, opts);
  }

  open(resume?: ResumeInfo): Promise<Welcome> {
    return this.inner.open(resume);
  }

  send(frame: SendFrame): Promise<AcceptedFrame> {
    return this.inner.send(frame);
  }

  ack(seq: number): void {
    this.inner.ack(seq);
  }

  close(end: boolean): Promise<void> {
    return this.inner.close(end);
  }
}
