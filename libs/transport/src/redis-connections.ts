import { Cluster, type Redis, type RedisOptions } from 'ioredis';
import { openRedis, redisReady, type Logger, type RedisClient, type RedisEndpoint } from '@itinera/core';

/** A redis URL (`redis://host:6379/0`), ioredis options, or a Redis Cluster's seed nodes. */
export type RedisConnectionOptions = RedisEndpoint;

export function createRedis(connection: RedisConnectionOptions, overrides: RedisOptions): RedisClient {
  return openRedis(connection, overrides);
}

/** Resolve once `redis` is ready, or reject after `timeoutMs` (a down Redis must not hang the caller). */
export function whenReady(redis: RedisClient, timeoutMs: number): Promise<void> {
  return redisReady(redis, timeoutMs);
}

/** Run `fn` on each master of a cluster (memory, eviction policy are per node), or on the one Redis. */
export async function eachMaster(redis: RedisClient, fn: (node: Redis) => Promise<unknown>): Promise<void> {
  if (redis instanceof Cluster) await Promise.all(redis.nodes('master').map(fn));
  else await fn(redis);
}

/** Reject with `what timed out` if `promise` does not settle within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Log connection errors without flooding: a down Redis makes ioredis emit one
 * error per reconnect attempt. Without a listener, an `error` event would crash the process.
 */
export function logErrors(
  emitter: { on(event: 'error', fn: (err: Error) => void): unknown },
  logger: Logger,
  what: string,
  level: 'warn' | 'debug' = 'warn',
): void {
  let last = '';
  let lastAt = 0;
  emitter.on('error', (err: Error) => {
    const now = Date.now();
    if (err.message === last && now - lastAt < 30_000) return;
    last = err.message;
    lastAt = now;
    logger[level]({ err: err.message }, `${what}: redis error`);
  });
}
