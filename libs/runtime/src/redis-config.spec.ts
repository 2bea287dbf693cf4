import { describe, expect, it } from 'vitest';
import { ItineraError } from '@itinera/core';
import { loadConfig, redisEndpointOf } from './config';

function refusal(env: Record<string, string>): ItineraError {
  try {
    loadConfig(env);
  } catch (err) {
    return err as ItineraError;
  }
  throw new Error('loadConfig accepted it');
}

describe('where Redis is', () => {
  it('REDIS_CLUSTER_NODES gives a cluster endpoint', () => {
    const config = loadConfig({ ITINERA_TRANSPORT: 'bullmq', REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7000' });
    expect(redisEndpointOf(config)).toEqual({
      clusterNodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7000 },
      ],
    });
  });

  it('REDIS_SENTINELS gives the master the Sentinels name', () => {
    const config = loadConfig({ ITINERA_TRANSPORT: 'bullmq', REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'bus' });
    expect(redisEndpointOf(config)).toEqual({ sentinels: [{ host: 's1', port: 26379 }], name: 'bus' });
  });

  it('REDIS_URL stays a URL', () => {
    expect(redisEndpointOf(loadConfig({ ITINERA_TRANSPORT: 'bullmq', REDIS_URL: 'redis://h:6379' }))).toBe('redis://h:6379');
  });

  it('refuses two ways at once, and a bad seed, with CONFIG_INVALID and the variable', () => {
    const both = refusal({ ITINERA_TRANSPORT: 'bullmq', REDIS_URL: 'redis://h:6379', REDIS_CLUSTER_NODES: 'h:7000' });
    expect(both.code).toBe('CONFIG_INVALID');
    expect(both.message).toMatch(/REDIS_CLUSTER_NODES: give one of REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS/);
    const bad = refusal({ ITINERA_TRANSPORT: 'bullmq', REDIS_CLUSTER_NODES: 'h' });
    expect(bad.code).toBe('CONFIG_INVALID');
    expect(bad.message).toMatch(/REDIS_CLUSTER_NODES: "h" is not host:port/);
  });
});

describe('work queue shards', () => {
  it('defaults to 1 on every layout (a cluster opts in); a set value wins', () => {
    expect(loadConfig({ ITINERA_TRANSPORT: 'bullmq', REDIS_URL: 'redis://h:6379' }).workQueueShards).toBe(1);
    expect(loadConfig({ ITINERA_TRANSPORT: 'bullmq', REDIS_SENTINELS: 's1:26379' }).workQueueShards).toBe(1);
    expect(loadConfig({ ITINERA_TRANSPORT: 'bullmq', REDIS_CLUSTER_NODES: 'h:7000' }).workQueueShards).toBe(1);
    expect(loadConfig({ ITINERA_TRANSPORT: 'bullmq', REDIS_CLUSTER_NODES: 'h:7000', ITINERA_WORK_QUEUE_SHARDS: '12' }).workQueueShards).toBe(12);
  });

  it('refuses a count out of 1..64 with CONFIG_INVALID', () => {
    for (const n of ['0', '65', 'x']) {
      const err = refusal({ ITINERA_TRANSPORT: 'bullmq', REDIS_URL: 'redis://h:6379', ITINERA_WORK_QUEUE_SHARDS: n });
      expect(err.code).toBe('CONFIG_INVALID');
      expect(err.message).toMatch(/ITINERA_WORK_QUEUE_SHARDS/);
    }
  });
});
