import type { Redis } from 'ioredis';
import { ItineraError, silentLogger, type Logger } from '@itinera/core';
import { transportUnavailable } from './transport-errors';

export interface MaxmemoryPolicyCheckOptions {
  /** Accept another policy with a warning (default: `ITINERA_ALLOW_EVICTION=true`). */
  allowOtherPolicy?: boolean;
  logger?: Logger;
}

/**
 * Redis must never evict the bus's keys: an evicted job or lock loses a message.
 * Returns the policy found, or undefined when the server hides CONFIG (managed Redis).
 */
export async function checkMaxmemoryPolicy(redis: Redis, opts: MaxmemoryPolicyCheckOptions = {}): Promise<string | undefined> {
  const logger = opts.logger ?? silentLogger;
  const allow = opts.allowOtherPolicy ?? process.env.ITINERA_ALLOW_EVICTION === 'true';
  let policy: string | undefined;
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as unknown as string[];
    policy = reply?.[1];
  } catch (err) {
    if (!isReplyError(err)) throw transportUnavailable(err);
    // Managed services often refuse CONFIG: we cannot see the policy, so say what must hold and go on.
    logger.warn(
      { err: (err as Error).message },
      'cannot read maxmemory-policy (CONFIG refused); make sure the Redis server runs with maxmemory-policy noeviction',
    );
    return undefined;
  }
  if (policy === undefined || policy === 'noeviction') return policy;
  if (allow) {
    logger.warn({ policy }, `Redis maxmemory-policy is "${policy}": under memory pressure Redis may evict queued messages. Set maxmemory-policy noeviction.`);
    return policy;
  }
  throw new ItineraError(
    'REDIS_EVICTION_POLICY',
    `Redis maxmemory-policy is "${policy}", so Redis may evict queued messages under memory pressure. Set "maxmemory-policy noeviction" (redis.conf, or CONFIG SET maxmemory-policy noeviction), or set ITINERA_ALLOW_EVICTION=true to start anyway with a warning.`,
  );
}

function isReplyError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'ReplyError' || /^(ERR|NOPERM|WRONGTYPE)\b/.test(err.message));
}
