import type { ItineraClientOptions } from './client-types';
import { ItineraClientError } from './errors';
import type { Link, LinkEvents, TransportName } from './link';
import { PollingLink, type FetchLike } from './poll.link';
import { WebSocketLink, type WebSocketConstructor } from './ws.link';

const webSocketOf = (opts: ItineraClientOptions): WebSocketConstructor | undefined =>
  opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;

/** The transport of the next link: the one asked for, or for `auto` WebSocket unless it failed before or is missing. */
export function chooseTransport(opts: ItineraClientOptions, fellBack: boolean): TransportName {
  const wanted = opts.transport ?? 'auto';
  if (wanted === 'long-polling') return 'long-polling';
  const hasWs = Boolean(webSocketOf(opts));
  if (wanted === 'websocket') {
    if (!hasWs) throw new ItineraClientError('BAD_OPTIONS', 'No WebSocket here: pass { WebSocket: require("ws") } in Node, or use transport "long-polling".');
    return 'websocket';
  }
  return fellBack || !hasWs ? 'long-polling' : 'websocket';
}

export function fetchOf(opts: ItineraClientOptions): FetchLike {
  const f = opts.fetch ?? (globalThis as { fetch?: FetchLike }).fetch;
  if (!f) throw new ItineraClientError('BAD_OPTIONS', 'No fetch here: pass { fetch } or use transport "websocket".');
  return f.bind(globalThis) as FetchLike;
}

/** A link to the bus at `base` (http(s)://host:port) over `transport`. */
export function createLink(
  transport: TransportName,
  base: string,
  opts: ItineraClientOptions & { connectTimeoutMs: number },
  events: LinkEvents & { error?(err: ItineraClientError): void },
): Link {
  const linkOpts = { connectTimeoutMs: opts.connectTimeoutMs, ...(opts.credential ? { credential: opts.credential } : {}) };
  return transport === 'websocket'
    ? new WebSocketLink(`${base.replace(/^http/i, 'ws')}/duplex`, webSocketOf(opts)!, events, linkOpts)
    : new PollingLink(base, fetchOf(opts), events, linkOpts);
}
