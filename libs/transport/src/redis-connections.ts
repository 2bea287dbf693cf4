import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '@itinera/core';

/** A redis URL (`redis://host:6379/0`) or ioredis options. */
export type RedisConnectionOptions = string | RedisOptions;

export function createRedis(connection: RedisConnectionOptions, overrides: RedisOptions): Redis {
  return typeof connection === 'string' ? new Redis(connection, overrides) : new Redis({ ...connection, ...overrides });
}

/** Resolve once `redis` is ready, or reject after `timeoutMs` (a down Redis must not hang the caller). */
export function whenReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('end', onEnd);
      if (err) reject(err);
      else resolve();
    };
    const onReady = () => done();
    const onEnd = () => done(new Error('connection closed'));
    const timer = setTimeout(() => done(new Error(`not connected after ${timeoutMs} ms (${redis.status})`)), timeoutMs);
    redis.on('ready', onReady);
    redis.on('end', onEnd);
  });
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
