import type { ItineraClientError } from './errors';
import type { ClosingInfo, OutboxFrame, ResumeInfo } from './frames';
import type { TransportName } from './link';
import type { FetchLike } from './poll.link';
import type { WebSocketConstructor } from './ws.link';

export interface ReconnectOptions {
  /** First delay after an unexpected disconnect (doubles each failed attempt). Default 250. */
  minDelayMs?: number;
  /** Longest delay between attempts. Default 10000. */
  maxDelayMs?: number;
  /** Give up after this many failed attempts in a row. Default: never. */
  maxAttempts?: number;
}

export interface ItineraClientOptions {
  /** Base URL of the bus (`http://host:3000`). In a browser, defaults to the page's origin. */
  url?: string;
  /**
   * `auto` (default) tries WebSocket and falls back to long polling when it cannot connect;
   * with a `tcp://host:port` or `tls://host:port` url it is `tcp` (Node only: the bus's ITINERA_TCP_PORT).
   */
  transport?: 'websocket' | 'long-polling' | 'tcp' | 'auto';
  /** For `tls://` urls: Node's `tls.connect` options (`ca`, `servername`, `rejectUnauthorized`, …). */
  tls?: Record<string, unknown>;
  /** WebSocket constructor; defaults to `globalThis.WebSocket`. In Node 20: `WebSocket: require('ws')`. */
  WebSocket?: WebSocketConstructor;
  /** fetch for long polling; defaults to `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Reconnect and resume after an unexpected disconnect (default on); `false` to stay down. */
  reconnect?: ReconnectOptions | false;
  /** Resume this session instead of starting a new one (e.g. kept across a page reload). */
  resume?: ResumeInfo;
  /** Reject a send without an answer after this long. Default 30000; 0 = never. */
  sendTimeoutMs?: number;
  /** Give up opening a link after this long. Default 10000. */
  connectTimeoutMs?: number;
  /** Acknowledgements are batched for this long (WebSocket). Default 50. */
  ackDelayMs?: number;
  /**
   * An API key or a JWT, for a bus with ITINERA_AUTH=required. Sent when a session starts
   * (`hello.credential`; `X-Api-Key` or `Authorization: Bearer` on long polling); the
   * session then stands for it, so resuming needs only the session token.
   */
  credential?: string;
}

export type ClientState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface ClientEvents {
  connected: { session: string; transport: TransportName };
  resumed: { session: string; transport: TransportName; lastSeq: number };
  disconnected: { reason: string; code?: number; message?: string; willReconnect: boolean };
  closing: ClosingInfo;
  /** The server no longer knows the session (expired): a new one starts; per-session state starts over. */
  expired: { session: string };
  fallback: { from: 'websocket'; to: 'long-polling'; error: ItineraClientError };
  /** A handler threw, or the server reported an error not tied to a send. */
  error: { error: unknown; frame?: OutboxFrame };
  closed: { reason: string };
}
