import { createHash } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { ItineraError, silentLogger, type Logger } from '@itinera/core';

/** What a Redis store connects with: a client to share, a `redis://…` URL, or ioredis options. */
export type RedisTarget = Redis | string | RedisOptions;

export interface RedisStoreBase {
  redis: RedisTarget;
  /** Key prefix; keep the `{hash tag}` so every key lands in one Redis Cluster slot (default `{itinera}`). */
  prefix?: string;
  /** How long an operation waits for a connection or reply before TRANSPORT_UNAVAILABLE (default 2 000 ms). */
  timeoutMs?: number;
  logger?: Logger;
}

export const DEFAULT_STORE_PREFIX = '{itinera}';

/**
 * A store's connection. One it opened itself fails fast (no offline queue, no
 * resend) and keeps reconnecting in the background; one it was given is shared
 * and left open on close.
 */
export class StoreConnection {
  readonly client: Redis;
  readonly prefix: string;
  private readonly owned: boolean;
  private readonly timeoutMs: number;

  constructor(opts: RedisStoreBase, what: string) {
    this.prefix = opts.prefix ?? DEFAULT_STORE_PREFIX;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.owned = !(opts.redis instanceof Redis);
    this.client = opts.redis instanceof Redis ? opts.redis : openFailFast(opts.redis, this.timeoutMs, opts.logger ?? silentLogger, what);
  }

  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  /** Run `fn` once connected; any Redis failure becomes TRANSPORT_UNAVAILABLE (transient). */
  async exec<T>(what: string, fn: (client: Redis) => Promise<T>): Promise<T> {
    try {
      if (this.client.status !== 'ready') await ready(this.client, this.timeoutMs);
      return await fn(this.client);
    } catch (err) {
      throw unavailable(what, err);
    }
  }

  async close(): Promise<void> {
    if (!this.owned || this.client.status === 'end') return;
    try {
      if (this.client.status === 'ready') {
        await this.client.quit();
        return;
      }
    } catch {
      // fall through to a hard disconnect
    }
    this.client.disconnect();
  }
}

/** Open a client that fails fast; share it between stores with `new Redis…` passed as `redis`. */
export function openFailFast(target: string | RedisOptions, timeoutMs: number, logger: Logger, what: string): Redis {
  const options: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: Math.max(timeoutMs, 1000),
    commandTimeout: timeoutMs,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 1000),
  };
  const client = typeof target === 'string' ? new Redis(target, options) : new Redis({ ...target, ...options });
  let down = false;
  client.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger.warn({ err: err.message, connection: what }, 'Redis connection lost; reconnecting');
  });
  client.on('ready', () => {
    if (down) logger.info({ connection: what }, 'Redis connection restored');
    down = false;
  });
  return client;
}

function ready(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'end') return Promise.reject(new Error('the store is closed'));
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      if (err) reject(err);
      else resolve();
    };
    const onReady = () => done();
    const timer = setTimeout(() => done(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    client.on('ready', onReady);
  });
}

export function unavailable(what: string, err: unknown): ItineraError {
  if (err instanceof ItineraError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new ItineraError(
    'TRANSPORT_UNAVAILABLE',
    `The ${what} (Redis) is unavailable: ${reason}. Check that redis-server runs and ITINERA_REDIS_URL points to it; the operation can be retried.`,
    { transient: true, cause: err },
  );
}

/** A Lua script run by SHA (one round trip), loaded again if the server lost its script cache. */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(client: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
      return client.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}
