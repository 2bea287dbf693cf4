import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { checkFreeMemory } from './redis-memory';
import { transportUnavailable } from './transport-errors';

/** Just enough of ioredis for INFO memory. */
const redisWith = (info: string | Error) => ({ info: async () => (info instanceof Error ? Promise.reject(info) : info) }) as unknown as Redis;
const replyError = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });

describe('Redis memory readiness', () => {
  it('is full with less than the minimum free under maxmemory', async () => {
    const full = redisWith('# Memory\r\nused_memory:3000000\r\nmaxmemory:3500000\r\n');
    await expect(checkFreeMemory(full, 1024 * 1024)).rejects.toMatchObject({ code: 'REDIS_OUT_OF_MEMORY', status: 503, transient: true });
    await expect(checkFreeMemory(full, 100_000)).resolves.toBeUndefined();
  });

  it('passes with no maxmemory, or when INFO is refused (managed Redis)', async () => {
    await expect(checkFreeMemory(redisWith('used_memory:9999999999\r\nmaxmemory:0\r\n'), 1)).resolves.toBeUndefined();
    await expect(checkFreeMemory(redisWith(replyError('ERR unknown command')), 1)).resolves.toBeUndefined();
    await expect(checkFreeMemory(redisWith(new Error('Connection is closed.')), 1)).rejects.toThrow('Connection is closed.');
  });

  it('an OOM refusal, even inside a script error, is REDIS_OUT_OF_MEMORY; other failures stay TRANSPORT_UNAVAILABLE', () => {
    const oom = replyError("OOM command not allowed when used memory > 'maxmemory'. script: 5ab4, on @user_script:589.");
    expect(transportUnavailable(oom)).toMatchObject({ code: 'REDIS_OUT_OF_MEMORY' });
    expect(transportUnavailable(oom).message).toMatch(/free memory .* or raise maxmemory/);
    expect(transportUnavailable(new Error('connect ECONNREFUSED'))).toMatchObject({ code: 'TRANSPORT_UNAVAILABLE' });
  });
});
