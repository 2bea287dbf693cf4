import type { ItineraClientOptions } from './client-types';
import { ItineraClientError } from './errors';
import type { Link, LinkEvents, TransportName } from './link';
import { PollingLink, type FetchLike } from './poll.link';
import { WebSocketLink, type WebSocketConstructor } from './ws.link';

const webSocketOf = (opts: ItineraClientOptions): WebSocketConstructor | undefined =>
  opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;

type MakeLink = (
  url: string,
  events: LinkEvents & { error?(err: ItineraClientError): void },
  opts: { connectTimeoutMs: number; credential?: string; tls?: Record<string, unknown> },
) => Link;

/** Links that need Node (TCP), added by the Node entry (index.ts) so the browser bundle leaves them out. */
const NODE_LINKS: Partial<Record<TransportName, MakeLink>> = {};

export function addNodeLink(transport: TransportName, make: MakeLink): void {
  NODE_LINKS[transport] = make;
}

/** The transport of the next link: the one asked for, or for `auto` WebSocket unless it failed before or is missing. */
export function chooseTransport(opts: ItineraClientOptions, fellBack: boolean): TransportName {
  const wanted = opts.transport ?? 'auto';
  if (wanted === 'long-polling') return 'long-polling';
  if (wanted === 'tcp' || (wanted === 'auto' && /^(tcp|tls):/i.test(opts.url ?? ''))) return 'tcp';
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
  if (transport === 'tcp') {
    const make = NODE_LINKS.tcp;
    if (!make) throw new ItineraClientError('BAD_OPTIONS', 'The TCP transport is for Node: import @itinera/client in Node (the browser build has no TCP).');
    return make(base, events, { ...linkOpts, ...(opts.tls ? { tls: opts.tls } : {}) });
  }
  return transport === 'websocket'
    ? new WebSocketLink(`${base.replace(/^http/i, 'ws')}/duplex`, webSocketOf(opts)!, events, linkOpts)
    : new PollingLink(base, fetchOf(opts), events, linkOpts);
}
