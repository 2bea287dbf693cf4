import type { Logger } from '@itinera/core';
import type { DuplexConnection } from './duplex-connection';
import type { DuplexRegistry } from './duplex-registry';

export interface DuplexCloseOptions {
  reason: 'shutdown';
  /** Told to clients in `closing`: when to reconnect. */
  retryAfterMs?: number;
  /** How long to wait for sends being accepted and sockets closing; default 5000. */
  graceMs?: number;
}

/**
 * The open connections of one socket on-ramp (WebSocket or TCP): their heartbeat
 * tick, and the shutdown that answers sends in flight, says `closing` and closes.
 */
export class DuplexConnections {
  private readonly open = new Set<DuplexConnection>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly registry: DuplexRegistry,
    private readonly logger: Logger,
    heartbeatMs: number,
  ) {
    this.heartbeat = setInterval(() => {
      for (const c of this.open) {
        try {
          c.tick();
        } catch (err) {
          logger.warn({ err }, 'duplex heartbeat tick failed');
        }
      }
    }, heartbeatMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.open.size;
  }

  add(conn: DuplexConnection): void {
    this.open.add(conn);
    void conn.closed.then(() => this.open.delete(conn));
  }

  /** Sends already being accepted get their `accepted`/`error`, then every connection gets `closing` and is closed. */
  async close(opts: DuplexCloseOptions): Promise<number> {
    const graceMs = opts.graceMs ?? 5000;
    await this.registry.settled(graceMs);
    const all = [...this.open];
    for (const c of all) c.end('shutdown', opts.retryAfterMs);
    await Promise.race([Promise.all(all.map((c) => c.closed)), new Promise((r) => setTimeout(r, graceMs).unref())]);
    for (const c of this.open) c.terminate();
    clearInterval(this.heartbeat);
    return all.length;
  }
}
