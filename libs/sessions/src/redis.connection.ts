import type { RedisOptions } from 'ioredis';
import { ItineraError, isClusterEndpoint, openRedis, type Logger, type RedisClient, type RedisEndpoint } from '@itinera/core';

export interface RedisConnectionOptions {
  /** `redis://…` URL, ioredis options (Sentinel too), or a Redis Cluster's seed nodes. */
  redis: RedisEndpoint;
  /** How long an operation waits for a connection or a reply before failing (ms). */
  timeoutMs: number;
  logger: Logger;
  name: string;
}

/**
 * ioredis options for a connection that fails fast: no offline queue, no resend,
 * short timeouts; it keeps reconnecting in the background so the store recovers
 * by itself when Redis is back.
 */
export function failFastOptions(timeoutMs: number): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 1000),
  };
}

export function connect(opts: RedisConnectionOptions, overrides: RedisOptions): RedisClient {
  // Options given with a single Redis override the defaults here, as they always did.
  const client =
    typeof opts.redis === 'object' && !isClusterEndpoint(opts.redis)
      ? openRedis({ ...overrides, connectionName: opts.name, ...opts.redis })
      : openRedis(opts.redis, { ...overrides, connectionName: opts.name });
  // Without a listener ioredis prints every failed reconnect; one line per outage is enough.
  let down = false;
  client.on('error', (err: Error) => {
    if (down) return;
    down = true;
    opts.logger.warn({ err: err.message, connection: opts.name }, 'Redis connection lost; reconnecting');
  });
  client.on('ready', () => {
    if (down) opts.logger.info({ connection: opts.name }, 'Redis connection restored');
    down = false;
  });
  return client;
}

const waiting = new WeakMap<RedisClient, Promise<void>>();

/** Wait until the client is ready, for at most `timeoutMs` (callers share one wait). */
export async function ready(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return;
  if (client.status === 'end') throw unavailable(new Error('the session store is closed'));
  let wait = waiting.get(client);
  if (!wait) {
    wait = new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        client.off('ready', onReady);
        waiting.delete(client);
        if (err) reject(err);
        else resolve();
      };
      const onReady = () => done();
      const timer = setTimeout(() => done(unavailable(new Error(`no connection within ${timeoutMs} ms`))), timeoutMs);
      client.once('ready', onReady);
    });
    waiting.set(client, wait);
  }
  return wait;
}

export function unavailable(err: unknown): ItineraError {
  if (err instanceof ItineraError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new ItineraError(
    'TRANSPORT_UNAVAILABLE',
    `The session store (Redis) is unavailable: ${reason}. Check REDIS_URL (or REDIS_CLUSTER_NODES) and that redis-server runs; the operation can be retried.`,
    { transient: true, cause: err },
  );
}

/** Close a connection whether or not it is up (QUIT would wait for a reconnect). */
export async function closeConnection(client: RedisClient | undefined): Promise<void> {
  if (!client || client.status === 'end') return;
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // fall through to a hard disconnect
    }
  }
  client.disconnect(false);
}
