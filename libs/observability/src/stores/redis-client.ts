import { createHash } from 'node:crypto';
import { Cluster, type RedisOptions } from 'ioredis';
import { ItineraError, RedisKeyspace, isRedisClient, openRedis, silentLogger, type Logger, type RedisClient, type RedisEndpoint } from '@itinera/core';

/** What a Redis store connects with: a client to share (Redis or Cluster), a `redis://…` URL, ioredis options, or cluster seeds. */
export type RedisTarget = RedisClient | RedisEndpoint;

export interface RedisStoreBase {
  redis: RedisTarget;
  /** Key prefix (default `{itinera}`); on a cluster each record, fault and index gets its own hash tag (see `StoreConnection.key`). */
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
  readonly client: RedisClient;
  readonly prefix: string;
  /** Key names: the single-slot layout, or one hash tag per entity on a cluster. */
  readonly keys: RedisKeyspace;
  private readonly owned: boolean;
  private readonly timeoutMs: number;

  constructor(opts: RedisStoreBase, what: string) {
    this.prefix = opts.prefix ?? DEFAULT_STORE_PREFIX;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.owned = !isRedisClient(opts.redis);
    this.client = isRedisClient(opts.redis) ? opts.redis : openFailFast(opts.redis, this.timeoutMs, opts.logger ?? silentLogger, what);
    this.keys = new RedisKeyspace(this.prefix, this.client instanceof Cluster);
  }

  /** True on a cluster: keys of different entities may sit on different nodes. */
  get spread(): boolean {
    return this.keys.spread;
  }

  /**
   * `<prefix>:<part>:…:<last>`, the last part naming the entity (a record's id, a fault's
   * id, an index's name): on a cluster it is the key's hash tag, so each entity has its
   * own slot and every command on one key stays single-slot. Same names as ever on a single Redis.
   */
  key(...parts: string[]): string {
    const last = parts.length - 1;
    return this.keys.key(...parts.slice(0, last), this.keys.tag(parts[last]!));
  }

  /** MGET on one Redis; on a cluster the keys are in many slots, so one GET each (sent together). */
  mget(client: RedisClient, keys: string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.spread ? Promise.all(keys.map((k) => client.get(k))) : client.mget(keys);
  }

  /** Run `fn` once connected; any Redis failure becomes TRANSPORT_UNAVAILABLE (transient). */
  async exec<T>(what: string, fn: (client: RedisClient) => Promise<T>): Promise<T> {
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
export function openFailFast(target: RedisEndpoint, timeoutMs: number, logger: Logger, what: string): RedisClient {
  const options: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: Math.max(timeoutMs, 1000),
    commandTimeout: timeoutMs,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 1000),
  };
  const client = openRedis(target, options);
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

function ready(client: RedisClient, timeoutMs: number): Promise<void> {
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
    `The ${what} (Redis) is unavailable: ${reason}. Check that redis-server runs and REDIS_URL (or REDIS_CLUSTER_NODES) points to it; the operation can be retried.`,
    { transient: true, cause: err },
  );
}

/** A Lua script run by SHA (one round trip), loaded again if the server lost its script cache. */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(client: RedisClient, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
      return client.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}
