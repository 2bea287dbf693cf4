import { ItineraError, type Logger, type RedisEndpoint, type SessionStore } from '@itinera/core';
import { MemorySessionStore } from './memory.session-store';
import { RedisSessionStore } from './redis.session-store';

export interface SessionStoreConfig {
  kind: 'memory' | 'redis';
  /** Required for `redis` (REDIS_URL). */
  redisUrl?: string;
  /** Instead of `redisUrl`: any endpoint, e.g. a Redis Cluster's seed nodes. */
  redis?: RedisEndpoint;
  /** Inactivity timeout (ITINERA_SESSION_TTL_MS). Default 600000. */
  ttlMs?: number;
  /** Redis key prefix with a hash tag. Default `{itinera}`. */
  prefix?: string;
  now?: () => number;
  logger?: Logger;
}

export function createSessionStore(config: SessionStoreConfig): SessionStore {
  switch (config.kind) {
    case 'memory':
      return new MemorySessionStore({ ttlMs: config.ttlMs, now: config.now, logger: config.logger });
    case 'redis': {
      const redis = config.redis ?? config.redisUrl;
      if (!redis) {
        throw new ItineraError('INVALID_CONFIG', 'The redis session store needs Redis: set REDIS_URL (for example redis://127.0.0.1:6379) or REDIS_CLUSTER_NODES.');
      }
      return new RedisSessionStore({
        redis,
        ttlMs: config.ttlMs,
        prefix: config.prefix,
        now: config.now,
        logger: config.logger,
      });
    }
    default:
      throw new ItineraError('INVALID_CONFIG', `Unknown session store kind "${String((config as { kind: unknown }).kind)}": use "memory" or "redis".`);
  }
}
