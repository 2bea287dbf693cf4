import Fastify, { type FastifyInstance } from 'fastify';
import { silentLogger, type FaultRecord, type FaultStore } from '@itinera/core';
import { MemorySessionStore } from '@itinera/sessions';
import {
  attachWebSocketDuplex,
  registerPollingDuplex,
  startSessionSweeper,
  type DuplexOptions,
  type PollingDuplex,
  type SessionSweeper,
  type WebSocketDuplex,
} from '@itinera/adapters';
import { FakeGateway } from './fake-gateway';

export class MemoryFaults implements FaultStore {
  readonly items: FaultRecord[] = [];
  async add(f: FaultRecord) {
    this.items.push(f);
  }
  async get(id: string) {
    return this.items.find((f) => f.id === id);
  }
  async list() {
    return [...this.items];
  }
  async remove(id: string) {
    const i = this.items.findIndex((f) => f.id === id);
    if (i >= 0) this.items.splice(i, 1);
  }
  async close() {}
}

export interface DuplexTestServer {
  url: string;
  app: FastifyInstance;
  sessions: MemorySessionStore;
  gateway: FakeGateway;
  faults: MemoryFaults;
  ws?: WebSocketDuplex;
  poll: PollingDuplex;
  sweeper?: SessionSweeper;
  /** Shut down as the bus does: closing to WebSocket clients, then the HTTP server. */
  close(retryAfterMs?: number): Promise<void>;
}

/**
 * A real Fastify server on 127.0.0.1 with the duplex on-ramps over a fake gateway.
 * `ws: false` leaves out the WebSocket upgrade (a server clients must long-poll).
 */
export async function startDuplexServer(
  opts: {
    options?: Partial<DuplexOptions>;
    ws?: boolean;
    ttlMs?: number;
    now?: () => number;
    sweepEveryMs?: number;
    port?: number;
    sessions?: MemorySessionStore;
    setup?: (app: FastifyInstance) => void;
  } = {},
): Promise<DuplexTestServer> {
  const sessions = opts.sessions ?? new MemorySessionStore({ ttlMs: opts.ttlMs ?? 600_000, ...(opts.now ? { now: opts.now } : {}) });
  const gateway = new FakeGateway(sessions);
  const faults = new MemoryFaults();
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const deps = { gateway, sessions, logger: silentLogger, options: { sessionTtlMs: opts.ttlMs ?? 600_000, ...opts.options } };
  const poll = registerPollingDuplex(app, deps);
  const ws = opts.ws === false ? undefined : attachWebSocketDuplex(app.server, deps);
  opts.setup?.(app);
  const sweeper = opts.sweepEveryMs
    ? startSessionSweeper({ sessions, faults, logger: silentLogger, everyMs: opts.sweepEveryMs, ...(opts.now ? { now: opts.now } : {}) })
    : undefined;
  await app.listen({ host: '127.0.0.1', port: opts.port ?? 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    sessions,
    gateway,
    faults,
    ws,
    poll,
    sweeper,
    close(retryAfterMs?: number) {
      closed ??= (async () => {
        await sweeper?.stop();
        await poll.close({ reason: 'shutdown', ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
        await ws?.close({ reason: 'shutdown', ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
        await app.close();
      })();
      return closed;
    },
  };
}
