import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../../test/support/redis-server';

/** The run's redis-server (AOF off, as a plain `redis-server` starts) and an admin connection. */
export interface BenchRedis {
  server: RedisServer;
  url: string;
  admin: Redis;
  version: string;
  stop(): Promise<void>;
}

export async function startBenchRedis(): Promise<BenchRedis> {
  const server = await startRedis({ appendonly: false });
  const admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
  const info = await admin.info('server');
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
  return {
    server,
    url: server.url,
    admin,
    version,
    async stop() {
      admin.disconnect();
      await server.stop();
    },
  };
}

/** Calls per command from INFO commandstats (commands run inside Lua scripts count too). */
export async function commandStats(admin: Redis): Promise<Map<string, number>> {
  const text = await admin.info('commandstats');
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

export interface CommandDelta {
  total: number;
  byCommand: Record<string, number>;
}

/** after - before, leaving out the admin's own INFO calls. */
export function commandDelta(before: Map<string, number>, after: Map<string, number>): CommandDelta {
  const byCommand: Record<string, number> = {};
  let total = 0;
  for (const [cmd, calls] of after) {
    if (cmd === 'info') continue;
    const d = calls - (before.get(cmd) ?? 0);
    if (d > 0) {
      byCommand[cmd] = d;
      total += d;
    }
  }
  return { total, byCommand };
}

/** CPU seconds the redis-server has used (INFO cpu, user + sys, main thread and children). */
export async function redisCpu(admin: Redis): Promise<number> {
  const text = await admin.info('cpu');
  const get = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(text)?.[1] ?? 0);
  return get('used_cpu_user') + get('used_cpu_sys');
}
