import { readFileSync } from 'node:fs';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { ItineraError, defineOnRamp, type ConfigSpec, type OnRampCloseOptions, type OnRampContext, type RunningOnRamp } from '@itinera/core';
import type { OnRampLimits } from '../limits/on-ramp-limits';
import { OPEN_AUTHENTICATOR, type Authenticator } from '../identity/authenticator';
import { DuplexConnection } from '../duplex/duplex-connection';
import { DuplexConnections } from '../duplex/duplex-connections';
import { CLOSE_CODES } from '../duplex/duplex-frames';
import { duplexOptions, type DuplexOptions } from '../duplex/duplex-options';
import { registryFor } from '../duplex/duplex-registry';
import { FramedSocket } from './tcp-socket';

/** The settings of the TCP duplex, declared once (the runtime's configuration includes them). */
export const TCP_ON_RAMP_SPEC = {
  ITINERA_TCP_PORT: {
    type: 'integer',
    description:
      'Port of the TCP duplex: the WebSocket duplex frames, each a 4-byte big-endian length then UTF-8 JSON (NetTcpBinding for clients that are not browsers). Unset: off.',
    minimum: 0,
    maximum: 65535,
  },
  ITINERA_TCP_HOST: { type: 'string', description: 'Address the TCP duplex listens on. Unset: HOST.' },
  ITINERA_TCP_TLS_CERT: {
    type: 'string',
    description: 'PEM certificate (chain) file: the TCP duplex speaks TLS only. Needs ITINERA_TCP_TLS_KEY.',
  },
  ITINERA_TCP_TLS_KEY: { type: 'string', description: 'PEM private key file of ITINERA_TCP_TLS_CERT.' },
  ITINERA_TCP_MAX_FRAME_BYTES: {
    type: 'integer',
    description:
      'Largest TCP duplex frame; a longer declared length gets an `error` frame FRAME_TOO_LARGE and the connection is closed, before any of it is read.',
    default: 1_048_576,
    minimum: 1024,
    maximum: 0xffffffff,
  },
} satisfies ConfigSpec;

export type TcpSettings = {
  ITINERA_TCP_PORT?: number;
  ITINERA_TCP_HOST?: string;
  ITINERA_TCP_TLS_CERT?: string;
  ITINERA_TCP_TLS_KEY?: string;
  ITINERA_TCP_MAX_FRAME_BYTES?: number;
};

export interface TcpOnRampContext extends OnRampContext {
  settings: TcpSettings;
  /** The duplex options shared with the WebSocket (heartbeat, TTL, in-flight, buffered bytes). */
  duplex?: Partial<DuplexOptions>;
  limits?: OnRampLimits;
  auth?: Authenticator;
  /** Where to listen when ITINERA_TCP_HOST is unset (the HTTP host). */
  defaultHost?: string;
  /** Started by the runtime: the node's duplex options and host stand in for `duplex` and `defaultHost`. */
  node?: { duplex?: Partial<DuplexOptions>; host?: string };
}

export interface TcpDuplex extends RunningOnRamp {
  /** The port listened on (the one chosen when ITINERA_TCP_PORT is 0). */
  readonly port: number;
  /** Open connections (with or without a session yet). */
  connectionCount(): number;
}

function tlsFiles(s: TcpSettings): { cert: Buffer; key: Buffer } | undefined {
  const { ITINERA_TCP_TLS_CERT: cert, ITINERA_TCP_TLS_KEY: key } = s;
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    throw new ItineraError('CONFIG_INVALID', 'ITINERA_TCP_TLS_CERT and ITINERA_TCP_TLS_KEY go together: give both PEM files, or neither for plain TCP.', {
      details: [{ pointer: cert === undefined ? '/ITINERA_TCP_TLS_CERT' : '/ITINERA_TCP_TLS_KEY', message: 'is required with the other' }],
    });
  }
  const read = (name: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ItineraError('CONFIG_INVALID', `${name}: cannot read ${path} (${(err as Error).message}).`, { details: [{ pointer: `/${name}`, message: 'cannot be read' }] });
    }
  };
  return { cert: read('ITINERA_TCP_TLS_CERT', cert), key: read('ITINERA_TCP_TLS_KEY', key) };
}

/** Listen; rejects with the listen error (a port in use fails the start). */
function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Start the TCP duplex; the connections run the WebSocket duplex's DuplexConnection on a framed socket. */
export async function startTcpDuplex(ctx: TcpOnRampContext): Promise<TcpDuplex> {
  const settings = ctx.settings;
  const maxFrameBytes = settings.ITINERA_TCP_MAX_FRAME_BYTES ?? TCP_ON_RAMP_SPEC.ITINERA_TCP_MAX_FRAME_BYTES.default;
  // One limit per transport: the TCP frame size is also the largest `send` accepted (welcome.maxFrameBytes).
  const options = duplexOptions({ ...(ctx.duplex ?? ctx.node?.duplex), maxFrameBytes });
  const logger = ctx.logger.child({ component: 'duplex-tcp' });
  const registry = registryFor(ctx.sessions);
  const conn = { gateway: ctx.gateway, sessions: ctx.sessions, registry, logger, options, limits: ctx.limits, auth: ctx.auth ?? OPEN_AUTHENTICATOR };
  const connections = new DuplexConnections(registry, logger, options.heartbeatMs);
  let closing: OnRampCloseOptions | undefined;

  const onSocket = (socket: Socket): void => {
    try {
      socket.setNoDelay(true);
      // Keepalive probes find a peer that vanished while nothing was written; the heartbeat finds the rest.
      socket.setKeepAlive(true, options.heartbeatMs);
      const framed = new FramedSocket(socket, { maxFrameBytes, frameTimeoutMs: 2 * options.heartbeatMs });
      if (closing) {
        framed.on('error', () => undefined);
        const retryAfterMs = closing.retryAfterMs ?? 1000;
        framed.send(JSON.stringify({ type: 'closing', reason: 'shutdown', retryAfterMs }));
        framed.close(CLOSE_CODES.shutdown, 'shutdown');
        return;
      }
      const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
      connections.add(new DuplexConnection(framed, conn, remote, socket.remoteAddress ?? '?', 'tcp'));
    } catch (err) {
      logger.error({ err }, 'tcp duplex connection setup failed');
      socket.destroy();
    }
  };

  const tls = tlsFiles(settings);
  const server: Server = tls ? createTlsServer({ ...tls, handshakeTimeout: 2 * options.heartbeatMs }, onSocket) : createTcpServer(onSocket);
  // A failed TLS handshake or an accept error is the client's or the moment's problem, never a crash.
  server.on('tlsClientError', (err: Error) => logger.debug({ err: err.message }, 'tcp duplex TLS handshake failed'));
  const host = settings.ITINERA_TCP_HOST ?? ctx.defaultHost ?? ctx.node?.host ?? '0.0.0.0';
  const port = await listen(server, settings.ITINERA_TCP_PORT ?? 0, host);
  server.on('error', (err) => logger.warn({ err }, 'tcp duplex listener error'));
  logger.info({ port, host, tls: Boolean(tls), maxFrameBytes }, 'tcp duplex listening');

  let closed: Promise<void> | undefined;
  const close = (opts: OnRampCloseOptions): Promise<void> => {
    if (closed) return closed;
    closing = opts;
    closed = (async () => {
      // No new connections; those accepted get `closing` `shutdown` once their sends are answered.
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      const count = await connections.close({ reason: 'shutdown', retryAfterMs: opts.retryAfterMs, graceMs: opts.drain ? 5000 : 0 });
      await stopped;
      logger.info({ connections: count }, 'tcp duplex closed');
    })();
    return closed;
  };

  return { port, close, connectionCount: () => connections.size };
}

/**
 * The TCP duplex on-ramp (WCF's NetTcpBinding): on when ITINERA_TCP_PORT is set, TLS
 * when ITINERA_TCP_TLS_CERT and _KEY are. Same frames, rules and per-session sequence
 * as the WebSocket duplex, over the same session store: a session moves freely
 * between TCP, WebSocket and long polling, on any gateway.
 */
export const TCP_ON_RAMP = defineOnRamp<TcpOnRampContext>({
  name: 'tcp',
  summary: 'Duplex sessions over TCP (or TLS): 4-byte big-endian length-prefixed JSON frames, the frames of the WebSocket duplex.',
  spec: TCP_ON_RAMP_SPEC,
  roles: ['gateway'],
  enabled: (settings) => settings.ITINERA_TCP_PORT !== undefined,
  start: startTcpDuplex,
});
