import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { ItineraError, defineOnRamp } from '@itinera/core';
import { problemOf } from '../http/problem';
import { DuplexConnection } from '../duplex/duplex-connection';
import { DuplexConnections, type DuplexCloseOptions } from '../duplex/duplex-connections';
import { DUPLEX_SUBPROTOCOL } from '../duplex/duplex-frames';
import { duplexOptions } from '../duplex/duplex-options';
import { registryFor } from '../duplex/duplex-registry';
import { duplexDepsOf, type DuplexDeps } from '../duplex/duplex-deps';
import { httpOf, type NodeOnRampContext } from '../on-ramp-context';
import { clientAddress, type TrustFn } from '../limits/client-address';
import { OPEN_AUTHENTICATOR } from '../identity/authenticator';

export interface WebSocketDuplexDeps extends DuplexDeps {
  /** Upgrade path; `/duplex` by default. */
  path?: string;
  /**
   * Browser origins allowed to open a duplex WebSocket (`https://app.example.com`); empty
   * or `*`: any. A page of another origin could otherwise ride a user's network position
   * (cross-site WebSocket hijacking). Clients that send no Origin (non-browsers) pass.
   */
  allowedOrigins?: readonly string[];
  /** Which peers' `X-Forwarded-For` names the client (ITINERA_TRUST_PROXY): the same test Fastify's `req.ip` uses. */
  trustProxy?: TrustFn;
}

export type { DuplexCloseOptions, DuplexDeps };

export interface WebSocketDuplex {
  /** Refuse new upgrades (503), finish sends in flight, send `closing`, close every socket. */
  close(opts: DuplexCloseOptions): Promise<void>;
  /** Open sockets (with or without a session yet). */
  connectionCount(): number;
}

/**
 * Frames within this size are read, then refused with a PAYLOAD_TOO_LARGE error
 * frame and close 1009; bigger ones are cut by ws at once (close 1009, no error
 * frame), so an abusive client cannot make the server buffer without bound.
 */
export function hardFrameCap(maxFrameBytes: number): number {
  return Math.max(2 * maxFrameBytes, maxFrameBytes + 64 * 1024);
}

function offeredProtocols(req: IncomingMessage): string[] {
  const h = req.headers['sec-websocket-protocol'];
  return (Array.isArray(h) ? h.join(',') : (h ?? ''))
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

/** Answer an upgrade request with a plain HTTP problem and close the socket. */
function refuse(socket: Duplex, err: ItineraError, status = err.status, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ ...problemOf(err, '/duplex'), status });
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Connection: close',
    'Content-Type: application/problem+json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.once('finish', () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * The WebSocket duplex on-ramp (`GET /duplex`, subprotocol `itinera.v1`) on an
 * existing HTTP server. A client that does not offer `itinera.v1` is refused at
 * the upgrade with 400 `UNSUPPORTED_SUBPROTOCOL` (a browser sees the connection
 * fail). Upgrades to other paths are left to other listeners, or answered 404 when
 * this is the only one.
 */
export function attachWebSocketDuplex(server: Server, deps: WebSocketDuplexDeps): WebSocketDuplex {
  const options = duplexOptions(deps.options);
  const path = deps.path ?? '/duplex';
  const logger = deps.logger.child({ component: 'duplex-ws' });
  const registry = registryFor(deps.sessions);
  const ctx = { gateway: deps.gateway, sessions: deps.sessions, registry, logger, options, limits: deps.limits, auth: deps.auth ?? OPEN_AUTHENTICATOR };
  const connections = new DuplexConnections(registry, logger, options.heartbeatMs);
  let closing: DuplexCloseOptions | undefined;

  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: hardFrameCap(options.maxFrameBytes),
    handleProtocols: (protocols) => (protocols.has(DUPLEX_SUBPROTOCOL) ? DUPLEX_SUBPROTOCOL : false),
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    try {
      let pathname: string;
      try {
        pathname = new URL(req.url ?? '/', 'http://bus').pathname;
      } catch {
        // A request target the HTTP parser let through but URL cannot read (`http://[::1`): the client's mistake, not ours.
        if (server.listenerCount('upgrade') <= 1)
          refuse(socket, new ItineraError('BAD_REQUEST', `The request target is not a valid URL; the duplex endpoint is ${path}.`));
        return;
      }
      if (pathname !== path) {
        if (server.listenerCount('upgrade') <= 1)
          refuse(socket, new ItineraError('NOT_FOUND', `No WebSocket endpoint at ${pathname}; the duplex endpoint is ${path}.`));
        return;
      }
      const origin = req.headers.origin;
      if (origin && deps.allowedOrigins?.length && !deps.allowedOrigins.includes(origin) && !deps.allowedOrigins.includes('*')) {
        refuse(socket, new ItineraError('FORBIDDEN', `Origin ${origin} may not open a duplex WebSocket; allow it in ITINERA_ALLOWED_ORIGINS.`), 403);
        return;
      }
      if (closing) {
        const retryAfterMs = closing.retryAfterMs ?? 1000;
        refuse(socket, new ItineraError('SHUTTING_DOWN', `This node is shutting down; reconnect in ${retryAfterMs} ms.`), 503, {
          'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
        });
        return;
      }
      if (!offeredProtocols(req).includes(DUPLEX_SUBPROTOCOL)) {
        refuse(
          socket,
          new ItineraError(
            'UNSUPPORTED_SUBPROTOCOL',
            `Open the WebSocket with the subprotocol "${DUPLEX_SUBPROTOCOL}" (new WebSocket(url, "${DUPLEX_SUBPROTOCOL}")).`,
          ),
          400,
        );
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
        connections.add(new DuplexConnection(ws, ctx, remote, clientAddress(req, deps.trustProxy)));
      });
    } catch (err) {
      logger.error({ err }, 'duplex upgrade failed');
      socket.destroy();
    }
  };
  server.on('upgrade', onUpgrade);

  let closed: Promise<void> | undefined;
  const close = (opts: DuplexCloseOptions): Promise<void> => {
    if (closed) return closed;
    closing = opts;
    closed = (async () => {
      const count = await connections.close(opts);
      // The upgrade listener stays: until the server stops, upgrades get 503 and a Retry-After.
      wss.close();
      logger.info({ connections: count }, 'duplex WebSocket on-ramp closed');
    })();
    return closed;
  };

  return { close, connectionCount: () => connections.size };
}

/** The WebSocket duplex as an on-ramp of the node: on its HTTP server, with the node's duplex options, limits and identity. */
export const WS_ON_RAMP = defineOnRamp<NodeOnRampContext>({
  name: 'ws',
  summary: 'Duplex sessions over WebSocket: GET /duplex, subprotocol itinera.v1.',
  // Node-wide settings (ITINERA_HEARTBEAT_MS, ITINERA_MAX_FRAME_BYTES, ITINERA_ALLOWED_ORIGINS, …) reach it through `node`.
  spec: {},
  roles: ['gateway'],
  start(ctx) {
    const ws = attachWebSocketDuplex(httpOf(ctx, 'ws').server, {
      ...duplexDepsOf(ctx),
      allowedOrigins: ctx.node.allowedOrigins,
      trustProxy: ctx.node.trustProxy,
    });
    return { close: (opts) => ws.close({ reason: 'shutdown', retryAfterMs: opts.retryAfterMs }) };
  },
});
