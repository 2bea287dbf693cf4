import { cpus } from 'node:os';
import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../../test/support/redis-server';
import { startChild, type Child } from '../lib/children';
import type { BenchContext } from '../lib/context';
import { commandDelta, commandStats, redisCpu } from '../lib/redis';
import { failedFigure, figure, type Figure } from '../lib/report';
import { median, round } from '../lib/stats';
import { runVia } from './scaling';
import type { DriveResult } from './throughput';

/** One measured configuration of the capacity table. */
export interface CapacityRow {
  config: string;
  shards: number;
  gateways: number;
  workers: number;
  msgsPerS: number;
  /** CPU per message of the bus processes together (gateways and workers). */
  busCpuMsPerMsg: number;
  /** CPU per message of the redis-servers together. */
  redisCpuMsPerMsg: number;
  /** The busiest single process or server per message: what one core must carry. */
  gatewayCpuMsPerMsg?: number;
  workerCpuMsPerMsg?: number;
  cmdsPerMsg: number;
}

/** Several bus nodes start at once here: on a busy two-core machine that takes longer than one. */
const SLOW_START_MS = 180_000;

interface Shard {
  redis: RedisServer | null;
  url: string;
  admin: Redis;
}

/** Redis totals over shards around `work`. */
async function measured<T>(shards: Shard[], work: () => Promise<T>): Promise<{ value: T; redisS: number; commands: number }> {
  const cpu0 = await Promise.all(shards.map((s) => redisCpu(s.admin)));
  const stats0 = await Promise.all(shards.map((s) => commandStats(s.admin)));
  const value = await work();
  const cpu1 = await Promise.all(shards.map((s) => redisCpu(s.admin)));
  const stats1 = await Promise.all(shards.map((s) => commandStats(s.admin)));
  return {
    value,
    redisS: cpu1.reduce((a, c, i) => a + c - cpu0[i], 0),
    commands: stats1.reduce((a, s, i) => a + commandDelta(stats0[i], s).total, 0),
  };
}

/**
 * The capacity check (bench/CAPACITY.md): the two-publication itinerary (bench-flow) on
 * the BullMQ box in the layouts this machine can run. 1 shard and 3 shards (independent
 * redis-servers, each with its own bus node, the load split evenly), and a gateway
 * process with 1 and 2 worker processes on one shard. Each row has what the model
 * needs: msg/s, CPU per message of the bus processes and of Redis, commands per message.
 */
export async function capacityFigures(ctx: BenchContext): Promise<Figure[]> {
  const { o } = ctx;
  const children: Child[] = [];
  const extra: RedisServer[] = [];
  const rows: CapacityRow[] = [];
  const failed: Figure[] = [];
  try {
    ctx.log('capacity: starting 2 more redis-servers (3 shards)');
    extra.push(...(await Promise.all([startRedis({ appendonly: false }), startRedis({ appendonly: false })])));
    const shards: Shard[] = [
      { redis: null, url: ctx.redis.url, admin: ctx.redis.admin },
      ...extra.map((r) => ({ redis: r, url: r.url, admin: new Redis(r.url, { maxRetriesPerRequest: 1 }) })),
    ];
    const nodes = await Promise.all(
      shards.map((s, i) =>
        startChild(`bus node, shard ${i + 1}`, 'children/bus-node.ts', { env: ctx.busEnv('bullmq', { REDIS_URL: s.url }), readyTimeoutMs: SLOW_START_MS }),
      ),
    );
    children.push(...nodes.map((n) => n.child));
    const args = { itinerary: 'bench-flow', window: o.window, bodyBytes: o.bodyBytes, wait: true };

    // Shards: every node drives its own shard at once, n each; the run lasts until the last completes.
    for (const count of [1, 3]) {
      // On a saturated machine a layout can fail (the bus's 1 s publish and 2 s store timeouts): say so, measure the rest.
      const use = nodes.slice(0, count);
      const on = shards.slice(0, count);
      try {
        // The same publishes in flight in all (64), split between the nodes: more would only queue up in front of the cores.
        const window = Math.ceil(o.window / count);
        const drive = (n: number) => Promise.all(use.map((node) => node.child.request<DriveResult>('drive', { ...args, window, n }, 300_000)));
        const warm = await drive(o.warmupMessages);
        const perShardRate = Math.min(...warm.map((w) => w.n / (w.totalMs / 1000)));
        const n = Math.max(200, Math.round(perShardRate * o.runSeconds));
        const runs: CapacityRow[] = [];
        for (let r = 0; r < o.rounds; r++) {
          const t0 = performance.now();
          const { value, redisS, commands } = await measured(on, () => drive(n));
          const s = (performance.now() - t0) / 1000;
          const total = n * count;
          runs.push({
            config: `${count} shard${count > 1 ? 's' : ''}, ${count} bus node${count > 1 ? 's' : ''} (gateway + worker)`,
            shards: count,
            gateways: count,
            workers: count,
            msgsPerS: round(total / s, 0),
            busCpuMsPerMsg: round((value.reduce((a, v) => a + v.cpuS, 0) * 1000) / total, 3),
            redisCpuMsPerMsg: round((redisS * 1000) / total, 3),
            cmdsPerMsg: round(commands / total, 1),
          });
        }
        rows.push(medianRow(runs));
        ctx.log(`capacity: ${JSON.stringify(rows.at(-1))}`);
      } catch (err) {
        ctx.log(`capacity: ${count} shards failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
        failed.push(failedFigure(`capacity: ${count} shards, ${count} bus nodes (gateway + worker)`, err));
      }
      for (const s of on) await s.admin.flushall();
    }
    await Promise.all(nodes.map((n) => n.child.stop()));

    // Workers: a gateway process and 1, then 2, worker processes on one shard.
    const env = (roles: string) => ctx.busEnv('bullmq', { BENCH_ROLES: roles });
    const [gateway, w1] = await Promise.all([
      startChild('gateway (bullmq)', 'children/bus-node.ts', { env: env('gateway'), readyTimeoutMs: SLOW_START_MS }),
      startChild('worker 1 (bullmq)', 'children/bus-node.ts', { env: env('worker'), readyTimeoutMs: SLOW_START_MS }),
    ]);
    children.push(gateway.child, w1.child);
    const workers = [w1.child];
    for (const count of [1, 2] as const) {
      if (count === 2) {
        const w2 = await startChild('worker 2 (bullmq)', 'children/bus-node.ts', { env: env('worker'), readyTimeoutMs: SLOW_START_MS });
        children.push(w2.child);
        workers.push(w2.child);
      }
      const c = { steps: 3, bodyBytes: o.bodyBytes, workers: count, itinerary: 'bench-flow' };
      const warm = await runVia(gateway.child, workers, c, o.warmupMessages, o.window);
      const n = Math.max(200, Math.round(warm.msgsPerS * o.runSeconds));
      const runs: CapacityRow[] = [];
      for (let r = 0; r < o.rounds; r++) {
        const { value, redisS, commands } = await measured([shards[0]], () => runVia(gateway.child, workers, c, n, o.window));
        runs.push({
          config: `1 shard, 1 gateway + ${count} worker process${count > 1 ? 'es' : ''}`,
          shards: 1,
          gateways: 1,
          workers: count,
          msgsPerS: value.msgsPerS,
          busCpuMsPerMsg: round(value.workerCpuMsPerMsg + value.gatewayCpuMsPerMsg, 3),
          gatewayCpuMsPerMsg: value.gatewayCpuMsPerMsg,
          workerCpuMsPerMsg: value.workerCpuMsPerMsg,
          redisCpuMsPerMsg: round((redisS * 1000) / n, 3),
          cmdsPerMsg: round(commands / n, 1),
        });
      }
      rows.push(medianRow(runs));
      ctx.log(`capacity: ${JSON.stringify(rows.at(-1))}`);
      await shards[0].admin.flushall();
    }
    for (const s of shards.slice(1)) s.admin.disconnect();
    return [
      ...failed,
      ...rows.map((r) =>
        figure({
          name: `capacity: ${r.config}`,
          unit: 'msg/s',
          value: r.msgsPerS,
          baseline: null,
          target: null,
          raw: { ...r, predictedMsgsPerS: predicted(r, cpus().length) },
        }),
      ),
    ];
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await Promise.all(extra.map((r) => r.stop()));
  }
}

/** The run with the median msg/s. */
function medianRow(runs: CapacityRow[]): CapacityRow {
  const m = median(runs.map((r) => r.msgsPerS));
  return runs.find((r) => r.msgsPerS === m) ?? runs[0];
}

/**
 * The model of bench/CAPACITY.md on this machine: every message needs the bus's and
 * Redis's CPU, which `cores` share; and no single-threaded process (a Redis shard, a
 * gateway, a worker) can give more than one core.
 */
export function predicted(r: CapacityRow, cores: number): number {
  const limits = [(cores * 1000) / (r.busCpuMsPerMsg + r.redisCpuMsPerMsg), (r.shards * 1000) / r.redisCpuMsPerMsg];
  if (r.gatewayCpuMsPerMsg) limits.push((r.gateways * 1000) / r.gatewayCpuMsPerMsg);
  if (r.workerCpuMsPerMsg) limits.push((r.workers * 1000) / r.workerCpuMsPerMsg);
  if (!r.gatewayCpuMsPerMsg) limits.push((r.gateways * 1000) / r.busCpuMsPerMsg);
  return round(Math.min(...limits), 0);
}
