import type { Redis } from 'ioredis';
import { outOfMemory } from './transport-errors';

/**
 * Free memory below which a Redis with a `maxmemory` counts as full: a tiny write can still
 * succeed a few bytes under the limit while every job (envelope, record, trace) is refused.
 */
export const DEFAULT_READY_MIN_FREE_BYTES = 1024 * 1024;

/**
 * Throw REDIS_OUT_OF_MEMORY when Redis has less than `minFree` bytes left under its
 * `maxmemory` (none set: no limit, nothing to check). A server that hides INFO passes:
 * the readiness write still catches a Redis that refuses writes.
 */
export async function checkFreeMemory(redis: Redis, minFree: number): Promise<void> {
  let info: string;
  try {
    info = await redis.info('memory');
  } catch (err) {
    if (err instanceof Error && err.name === 'ReplyError') return;
    throw err;
  }
  const max = field(info, 'maxmemory');
  const used = field(info, 'used_memory');
  if (!max || used === undefined || max - used >= minFree) return;
  throw outOfMemory(`used_memory ${used} of maxmemory ${max} bytes, less than ${minFree} bytes free`);
}

function field(info: string, name: string): number | undefined {
  const m = new RegExp(`^${name}:(\\d+)`, 'm').exec(info);
  return m ? Number(m[1]) : undefined;
}
