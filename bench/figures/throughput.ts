import { startChild, type Child } from '../lib/children';
import type { BenchContext } from '../lib/context';
import { commandDelta, commandStats, redisCpu } from '../lib/redis';
import { figure, type Figure } from '../lib/report';
import { median, round } from '../lib/stats';

export interface DriveResult {
  n: number;
  publishMs: number;
  totalMs: number;
  cpuS: number;
  faulted: number;
}

/** Messages for a run of about `seconds`, from a warm-up's rate. */
export function sized(warm: DriveResult, seconds: number): number {
  const rate = warm.n / (warm.totalMs / 1000);
  return Math.max(200, Math.min(500_000, Math.round(rate * seconds)));
}

export const rate = (r: DriveResult) => r.n / (r.totalMs / 1000);

/**
 * Warm-up: `n` messages, then a second run of about half a second sized from the
 * first (a cold first run underestimates the rate); returns the second run.
 */
export async function warmUp(drive: (n: number) => Promise<DriveResult>, n: number): Promise<DriveResult> {
  const first = await drive(n);
  return drive(sized(first, 0.5));
}

const OUT_WAIT = '{itinera}:bench.out:wait';

/**
 * Figures 1 and 2: the 3-step itinerary on the BullMQ box (one bus process:
 * gateway + worker, publishing through its own gateway) against raw BullMQ
 * (add + no-op worker in one process), interleaved A B A B after a warm-up of
 * each. Commands per message come from INFO commandstats around each run.
 */
export async function throughputFigures(ctx: BenchContext): Promise<Figure[]> {
  const { o } = ctx;
  ctx.log('throughput: starting a bus (bullmq) and the raw BullMQ baseline');
  const children: Child[] = [];
  try {
    const rawEnv = { REDIS_URL: ctx.redis.url, BENCH_CONCURRENCY: String(o.concurrency) };
    const [bus, raw, relay] = await Promise.all([
      startChild('bus (bullmq)', 'children/bus-node.ts', { env: ctx.busEnv('bullmq') }),
      startChild('raw BullMQ', 'children/bullmq-raw.ts', { env: rawEnv }),
      startChild('raw BullMQ relay', 'children/bullmq-raw.ts', { env: { ...rawEnv, BENCH_RELAY: '1', BENCH_QUEUE: 'raw.relay', BENCH_PREFIX: '{rawrelay}' } }),
    ]);
    children.push(bus.child, raw.child, relay.child);
    const busArgs = { itinerary: 'bench-flow', window: o.window, bodyBytes: o.bodyBytes, wait: true };
    const rawArgs = { window: o.window, bodyBytes: o.bodyBytes };
    const wb = await warmUp((n) => bus.child.request<DriveResult>('drive', { ...busArgs, n }), o.warmupMessages);
    const wr = await warmUp((n) => raw.child.request<DriveResult>('drive', { ...rawArgs, n }), o.warmupMessages);
    const wl = await warmUp((n) => relay.child.request<DriveResult>('drive', { ...rawArgs, n }), o.warmupMessages);
    const nBus = sized(wb, o.runSeconds);
    const nRaw = sized(wr, o.runSeconds);
    const nRelay = sized(wl, o.runSeconds);
    ctx.log(
      `throughput: warm-up bus ${rate(wb).toFixed(0)} msg/s, raw ${rate(wr).toFixed(0)} msg/s, relay ${rate(wl).toFixed(0)} msg/s; runs of ${nBus} / ${nRaw} / ${nRelay}`,
    );

    type Side = 'bus' | 'raw' | 'relay';
    const rounds: {
      side: Side;
      msgsPerS: number;
      cmdsPerMsg: number;
      cpuS: number;
      redisCpuS: number;
      publishMs: number;
      totalMs: number;
      n: number;
      byCommand: Record<string, number>;
    }[] = [];
    await ctx.profileStart([bus.child, raw.child, relay.child]);
    for (let r = 0; r < o.rounds; r++) {
      for (const side of ['bus', 'raw', 'relay'] as const) {
        const outBefore = side === 'bus' ? await ctx.redis.admin.llen(OUT_WAIT) : 0;
        const before = await commandStats(ctx.redis.admin);
        const redis0 = await redisCpu(ctx.redis.admin);
        const res =
          side === 'bus'
            ? await bus.child.request<DriveResult>('drive', { ...busArgs, n: nBus })
            : side === 'raw'
              ? await raw.child.request<DriveResult>('drive', { ...rawArgs, n: nRaw })
              : await relay.child.request<DriveResult>('drive', { ...rawArgs, n: nRelay });
        const redisS = (await redisCpu(ctx.redis.admin)) - redis0;
        const delta = commandDelta(before, await commandStats(ctx.redis.admin));
        if (side === 'bus') {
          // Completion means the send step published: the out queue must hold every message.
          const outAfter = await ctx.redis.admin.llen(OUT_WAIT);
          if (outAfter - outBefore !== res.n) throw new Error(`bench.out holds ${outAfter - outBefore} new jobs, expected ${res.n}`);
        }
        const perMsg = Object.fromEntries(
          Object.entries(delta.byCommand)
            .sort((a, b) => b[1] - a[1])
            .map(([k, v]) => [k, round(v / res.n, 2)]),
        );
        rounds.push({
          side,
          msgsPerS: round(rate(res), 1),
          cmdsPerMsg: round(delta.total / res.n, 2),
          cpuS: round(res.cpuS, 2),
          redisCpuS: round(redisS, 2),
          publishMs: round(res.publishMs, 0),
          totalMs: round(res.totalMs, 0),
          n: res.n,
          byCommand: perMsg,
        });
        ctx.log(
          `throughput: round ${r + 1} ${side}: ${rate(res).toFixed(0)} msg/s, ${(delta.total / res.n).toFixed(1)} commands/msg, CPU ${((res.cpuS * 1000) / res.n).toFixed(3)} ms/msg (redis ${((redisS * 1000) / res.n).toFixed(3)})`,
        );
      }
    }
    await ctx.profileStop([
      [bus.child, 'throughput-bus'],
      [raw.child, 'throughput-raw'],
      [relay.child, 'throughput-relay'],
    ]);
    const of = (side: Side, k: 'msgsPerS' | 'cmdsPerMsg') => round(median(rounds.filter((x) => x.side === side).map((x) => x[k])), 2);
    const cpuMs = (side: Side) => round(median(rounds.filter((x) => x.side === side).map((x) => (x.cpuS * 1000) / x.n)), 3);
    return [
      figure({
        name: 'msg/s, 3-step itinerary, BullMQ box',
        unit: 'msg/s',
        value: of('bus', 'msgsPerS'),
        baseline: of('raw', 'msgsPerS'),
        target: '>= 0.8',
        baselineIs: `raw BullMQ add + no-op worker, concurrency ${o.concurrency}, same removeOnComplete`,
        raw: { rounds: rounds.map(({ byCommand: _b, ...rest }) => rest), warmup: { bus: rate(wb), raw: rate(wr) } },
      }),
      figure({
        name: 'Redis commands per message',
        unit: 'cmd/msg',
        value: of('bus', 'cmdsPerMsg'),
        baseline: of('raw', 'cmdsPerMsg'),
        target: '<= 1.3',
        baselineIs: 'raw BullMQ per job (INFO commandstats delta, script-internal calls included)',
        raw: { byCommand: { bus: rounds.filter((x) => x.side === 'bus').at(-1)?.byCommand, raw: rounds.filter((x) => x.side === 'raw').at(-1)?.byCommand } },
      }),
      // The floor under the bus: its Redis work done by hand. bus / relay is what the bus itself costs.
      figure({
        name: "msg/s, the itinerary's Redis work by hand (relay)",
        unit: 'msg/s',
        value: of('relay', 'msgsPerS'),
        baseline: of('raw', 'msgsPerS'),
        target: null,
        baselineIs:
          'raw BullMQ add + no-op worker; the relay adds per message a record SET, an add to a second queue with a deterministic job id and a record APPEND, as the itinerary must',
        raw: { cmdsPerMsg: of('relay', 'cmdsPerMsg'), cpuMsPerMsg: cpuMs('relay'), byCommand: rounds.filter((x) => x.side === 'relay').at(-1)?.byCommand },
      }),
      figure({
        name: 'msg/s, 3-step itinerary against the relay',
        unit: 'msg/s',
        value: of('bus', 'msgsPerS'),
        baseline: of('relay', 'msgsPerS'),
        target: null,
        baselineIs: 'the relay: the same Redis work by hand, so the ratio is what the bus costs over its Redis work',
      }),
      // Less sensitive to other load on the machine than msg/s: where an optimisation shows first.
      figure({
        name: 'process CPU per message, BullMQ box',
        unit: 'ms',
        value: cpuMs('bus'),
        baseline: cpuMs('raw'),
        target: null,
        baselineIs: 'the raw BullMQ process per job (redis-server CPU is in the rounds: redisCpuS)',
      }),
    ];
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}
