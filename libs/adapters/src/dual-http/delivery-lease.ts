import { randomUUID } from 'node:crypto';
import type { RedisClient, SessionStore } from '@itinera/core';

/**
 * Which node delivers a dual-HTTP session's callbacks: one at a time, so frames
 * go out in seq order. A lease, not a lock: a node that dies stops renewing and
 * another node's sweep takes the session over once the lease runs out.
 */
export interface DeliveryLease {
  /** Take the session for this node; false when another node holds it. */
  acquire(session: string): Promise<boolean>;
  /** Keep it; false when it was lost (expired and taken by another node). */
  renew(session: string): Promise<boolean>;
  release(session: string): Promise<void>;
}

const held = new WeakMap<SessionStore, Map<string, string>>();

/** The embedded box: one process, so an in-process lock per session store is enough. */
export function localLease(sessions: SessionStore): DeliveryLease {
  let map = held.get(sessions);
  if (!map) held.set(sessions, (map = new Map()));
  const owners = map;
  const me = randomUUID();
  return {
    async acquire(session) {
      const owner = owners.get(session);
      if (owner !== undefined && owner !== me) return false;
      owners.set(session, me);
      return true;
    },
    async renew(session) {
      return owners.get(session) === me;
    },
    async release(session) {
      if (owners.get(session) === me) owners.delete(session);
    },
  };
}

// Renew or release only a lease this node still owns (compare-and-set on the owner token).
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** BullMQ deployments: `SET NX PX` per session in the shared Redis, renewed while this node delivers. */
export function redisLease(redis: RedisClient, prefix: string, ttlMs: number): DeliveryLease {
  const me = randomUUID();
  const key = (session: string) => `${prefix}:dual-http:lease:${session}`;
  return {
    async acquire(session) {
      const k = key(session);
      if ((await redis.set(k, me, 'PX', ttlMs, 'NX')) === 'OK') return true;
      // Ours already (adopted again after a local drop): keep it.
      return (await redis.eval(RENEW, 1, k, me, ttlMs)) === 1;
    },
    async renew(session) {
      return (await redis.eval(RENEW, 1, key(session), me, ttlMs)) === 1;
    },
    async release(session) {
      await redis.eval(RELEASE, 1, key(session), me);
    },
  };
}
