import { describe, expect, it } from 'vitest';
import { describeRedis, isClusterEndpoint, parseRedisNodes } from './redis-endpoint';
import { RedisKeyspace } from './redis-keyspace';

describe('RedisKeyspace', () => {
  it('keeps the single-Redis names as they were: one {itinera} slot', () => {
    const k = new RedisKeyspace('{itinera}');
    expect(k.key('duplex', 'session', k.tag('s1'))).toBe('{itinera}:duplex:session:s1');
    expect(k.queuePrefix('itinera.work')).toBe('{itinera}');
    expect(k.buckets('duplex:sessions', 16)).toEqual(['{itinera}:duplex:sessions']);
  });

  it('gives each entity its own hash tag on a cluster', () => {
    const k = new RedisKeyspace('{itinera}', true);
    expect(k.key('duplex', 'session', k.tag('s1'))).toBe('itinera:duplex:session:{s1}');
    expect(k.queuePrefix('itinera.work')).toBe('itinera:{itinera.work}');
    const buckets = k.buckets('duplex:sessions', 4);
    expect(buckets).toEqual([0, 1, 2, 3].map((i) => `itinera:duplex:sessions:{duplex:sessions.${i}}`));
  });

  it('escapes braces, so an id cannot end its tag early or borrow another one', () => {
    const k = new RedisKeyspace('{itinera}', true);
    expect(k.tag('a}b{c%')).toBe('{a%7Db%7Bc%25}');
    expect(k.tag('a%7Db')).not.toBe(k.tag('a}b'));
  });

  it('puts an id in the same bucket in every process', () => {
    expect(RedisKeyspace.bucketOf('session-1', 16)).toBe(RedisKeyspace.bucketOf('session-1', 16));
    const seen = new Set(Array.from({ length: 200 }, (_, i) => RedisKeyspace.bucketOf(`s${i}`, 16)));
    expect(seen.size).toBe(16);
  });
});

describe('Redis endpoints', () => {
  it('reads host:port seeds, IPv6 in brackets', () => {
    expect(parseRedisNodes('10.0.0.1:7000, redis-2:7001,[::1]:7002', 'REDIS_CLUSTER_NODES')).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-2', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
  });

  it('names the bad entry with CONFIG_INVALID', () => {
    expect(() => parseRedisNodes('10.0.0.1:7000,redis-2', 'REDIS_CLUSTER_NODES')).toThrow(/REDIS_CLUSTER_NODES: "redis-2" is not host:port/);
    expect(() => parseRedisNodes('h:70000', 'REDIS_SENTINELS')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('describes an endpoint without its password', () => {
    expect(describeRedis('redis://:secret@h:6379')).toBe('Redis at redis://***@h:6379');
    const cluster = { clusterNodes: [{ host: 'a', port: 1 }] };
    expect(isClusterEndpoint(cluster)).toBe(true);
    expect(describeRedis(cluster)).toBe('the Redis Cluster at a:1');
  });
});
