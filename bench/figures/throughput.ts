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

type Side = 'bus1' | 'raw1' | 'bus2' | 'raw2' | 'relay';

interface Round {
  side: Side;
  msgsPerS: number;
  cmdsPerMsg: number;
  cpuS: number;
  redisCpuS: number;
  /** The HTTP endpoint's CPU (bus1 only). */
  sinkCpuS?: number;
  publishMs: number;
  totalMs: number;
  n: number;
  byCommand: Record<string, number>;
}

/**
 * The BullMQ box against raw BullMQ, two itineraries, one bus process (gateway +
 * worker, publishing through its own gateway) and raw BullMQ in processes of their
 * own, all interleaved (bus1 raw1 bus2 raw2 relay, three times) after a warm-up of each:
 *
 * - one publication: bench-flow-http (transform, route by rules, send to an HTTP
 *   endpoint) against raw BullMQ's single hop (add + no-op worker);
 * - two publications: bench-flow (the same, but send to the bench.out queue) against
 *   raw BullMQ doing the same two hops (add; the worker adds to a second queue);
 * - the relay: the two-publication itinerary's Redis work by hand (record writes too).
 *
 * Commands per message come from INFO commandstats around each run; bench/README.md
 * defines every figure.
 */
export async function throughputFigures(ctx: BenchContext): Promise<Figure[]> {
  const { o } = ctx;
  ctx.log('throughput: starting a bus (bullmq), an HTTP endpoint and the raw BullMQ baselines');
  const children: Child[] = [];
  try {
    const rawEnv = { REDIS_URL: ctx.redis.url, BENCH_CONCURRENCY: String(o.concurrency) };
    const sink = await startChild('HTTP endpoint', 'children/http-sink.ts');
    children.push(sink.child);
    const sinkUrl = sink.info.url as string;
    const [bus, raw1, raw2, relay] = await Promise.all([
      startChild('bus (bullmq)', 'children/bus-node.ts', { env: ctx.busEnv('bullmq', sinkEnv(sinkUrl)) }),
      startChild('raw BullMQ, one hop', 'children/bullmq-raw.ts', { env: rawEnv }),
      startChild('raw BullMQ, two hops', 'children/bullmq-raw.ts', { env: { ...rawEnv, BENCH_HOPS: '2', BENCH_QUEUE: 'raw.hops', BENCH_PREFIX: '{rawhops}' } }),
      startChild('raw BullMQ relay', 'children/bullmq-raw.ts', { env: { ...rawEnv, BENCH_RELAY: '1', BENCH_QUEUE: 'raw.relay', BENCH_PREFIX: '{rawrelay}' } }),
    ]);
    children.push(bus.child, raw1.child, raw2.child, relay.child);
    const rawArgs = { window: o.window, bodyBytes: o.bodyBytes };
    const busArgs = (itinerary: string) => ({ itinerary, window: o.window, bodyBytes: o.bodyBytes, wait: true });
    const drives: Record<Side, (n: number) => Promise<DriveResult>> = {
      bus1: (n) => bus.child.request<DriveResult>('drive', { ...busArgs('bench-flow-http'), n }),
      raw1: (n) => raw1.child.request<DriveResult>('drive', { ...rawArgs, n }),
      bus2: (n) => bus.child.request<DriveResult>('drive', { ...busArgs('bench-flow'), n }),
      raw2: (n) => raw2.child.request<DriveResult>('drive', { ...rawArgs, n }),
      relay: (n) => relay.child.request<DriveResult>('drive', { ...rawArgs, n }),
    };
    const sides = Object.keys(drives) as Side[];
    const sizes = {} as Record<Side, number>;
    const warm = {} as Record<Side, number>;
    for (const side of sides) {
      const w = await warmUp(drives[side], o.warmupMessages);
      sizes[side] = sized(w, o.runSeconds);
      warm[side] = round(rate(w), 0);
    }
    ctx.log(`throughput: warm-up msg/s ${JSON.stringify(warm)}; runs of ${JSON.stringify(sizes)}`);

    const rounds: Round[] = [];
    await ctx.profileStart([bus.child, raw1.child, raw2.child]);
    for (let r = 0; r < o.rounds; r++) {
      for (const side of sides) {
        const outBefore = side === 'bus2' ? await ctx.redis.admin.llen(OUT_WAIT) : side === 'raw2' ? await ctx.redis.admin.llen(raw2.info.out as string) : 0;
        const sinkBefore = side === 'bus1' ? await sink.child.request<number>('received') : 0;
        const sinkCpu0 = side === 'bus1' ? await sink.child.request<number>('cpu') : 0;
        const before = await commandStats(ctx.redis.admin);
        const redis0 = await redisCpu(ctx.redis.admin);
        const res = await drives[side](sizes[side]);
        const redisS = (await redisCpu(ctx.redis.admin)) - redis0;
        const delta = commandDelta(before, await commandStats(ctx.redis.admin));
        let sinkCpuS: number | undefined;
        if (side === 'bus1') {
          // Completion means the send step delivered: the endpoint must have every message.
          const got = (await sink.child.request<number>('received')) - sinkBefore;
          if (got !== res.n) throw new Error(`the HTTP endpoint received ${got} messages, expected ${res.n}`);
          sinkCpuS = round((await sink.child.request<number>('cpu')) - sinkCpu0, 3);
        }
        if (side === 'bus2' || side === 'raw2') {
          // Completion means the second hop was published: the out queue must hold every message.
          const key = side === 'bus2' ? OUT_WAIT : (raw2.info.out as string);
          const outAfter = await ctx.redis.admin.llen(key);
          if (outAfter - outBefore !== res.n) throw new Error(`${key} holds ${outAfter - outBefore} new jobs, expected ${res.n}`);
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
          cpuS: round(res.cpuS, 3),
          redisCpuS: round(redisS, 3),
          ...(sinkCpuS !== undefined ? { sinkCpuS } : {}),
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
      [raw1.child, 'throughput-raw'],
      [raw2.child, 'throughput-raw-two-hops'],
    ]);
    return throughputTable(rounds, o.concurrency, warm);
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

/** What the bus child needs for bench-flow-http: the endpoint's address, allowed although on loopback. */
function sinkEnv(url: string): Record<string, string> {
  return { BENCH_SINK_URL: url, ITINERA_ENV_FACTS: 'BENCH_SINK_URL', ITINERA_SEND_ALLOW_PRIVATE: 'true' };
}

function throughputTable(rounds: Round[], concurrency: number, warm: Record<Side, number>): Figure[] {
  const of = (side: Side, k: 'msgsPerS' | 'cmdsPerMsg') => round(median(rounds.filter((x) => x.side === side).map((x) => x[k])), 2);
  const perMsg = (side: Side, k: 'cpuS' | 'redisCpuS') => round(median(rounds.filter((x) => x.side === side).map((x) => (x[k] * 1000) / x.n)), 3);
  const byCommand = (side: Side) => rounds.filter((x) => x.side === side).at(-1)?.byCommand;
  const cpu = (side: Side) => ({ processCpuMsPerMsg: perMsg(side, 'cpuS'), redisCpuMsPerMsg: perMsg(side, 'redisCpuS'), cmdsPerMsg: of(side, 'cmdsPerMsg') });
  const same = `concurrency ${concurrency}, same removeOnComplete`;
  return [
    figure({
      name: 'msg/s, 3 steps, one publication (HTTP send), BullMQ box',
      unit: 'msg/s',
      value: of('bus1', 'msgsPerS'),
      baseline: of('raw1', 'msgsPerS'),
      target: '>= 0.8',
      baselineIs: `raw BullMQ single hop: add + no-op worker, ${same}`,
      raw: { rounds: rounds.map(({ byCommand: _b, ...rest }) => rest), warmup: warm, bus: cpu('bus1'), baseline: cpu('raw1') },
    }),
    figure({
      name: 'Redis commands per message, one publication',
      unit: 'cmd/msg',
      value: of('bus1', 'cmdsPerMsg'),
      baseline: of('raw1', 'cmdsPerMsg'),
      target: '<= 1.15',
      baselineIs: 'raw BullMQ single hop per job (INFO commandstats delta, script-internal calls included)',
      raw: { byCommand: { bus: byCommand('bus1'), raw: byCommand('raw1') } },
    }),
    figure({
      name: 'msg/s, 3 steps, two publications (queue send), BullMQ box',
      unit: 'msg/s',
      value: of('bus2', 'msgsPerS'),
      baseline: of('raw2', 'msgsPerS'),
      target: '>= 0.8',
      baselineIs: `raw BullMQ two hops: add, and a worker adding each job to a second queue (job id <id>.2), ${same}`,
      raw: { bus: cpu('bus2'), baseline: cpu('raw2') },
    }),
    figure({
      name: 'Redis commands per message, two publications',
      unit: 'cmd/msg',
      value: of('bus2', 'cmdsPerMsg'),
      baseline: of('raw2', 'cmdsPerMsg'),
      target: '<= 1.15',
      baselineIs: 'raw BullMQ two hops per message',
      raw: { byCommand: { bus: byCommand('bus2'), raw: byCommand('raw2') } },
    }),
    // The floor under the bus: its Redis work done by hand. bus / relay is what the bus itself costs.
    figure({
      name: "msg/s, two publications' Redis work by hand (relay)",
      unit: 'msg/s',
      value: of('relay', 'msgsPerS'),
      baseline: of('raw2', 'msgsPerS'),
      target: null,
      baselineIs: 'raw BullMQ two hops; the relay adds a record SET before the add and a record APPEND in the worker, as the itinerary must',
      raw: cpu('relay'),
    }),
    figure({
      name: 'msg/s, two publications against the relay',
      unit: 'msg/s',
      value: of('bus2', 'msgsPerS'),
      baseline: of('relay', 'msgsPerS'),
      target: null,
      baselineIs: 'the relay: the same Redis work by hand, so the ratio is what the bus costs over its Redis work',
    }),
    // Less sensitive to other load on the machine than msg/s: where an optimisation shows first.
    figure({
      name: 'process CPU per message, one publication',
      unit: 'ms',
      value: perMsg('bus1', 'cpuS'),
      baseline: perMsg('raw1', 'cpuS'),
      target: null,
      baselineIs: 'the raw BullMQ process per job (the HTTP endpoint not included: sinkCpuS in the rounds)',
    }),
    figure({
      name: 'process CPU per message, two publications',
      unit: 'ms',
      value: perMsg('bus2', 'cpuS'),
      baseline: perMsg('raw2', 'cpuS'),
      target: null,
      baselineIs: 'the raw two-hop process per message',
    }),
    figure({
      name: 'redis-server CPU per message, two publications',
      unit: 'ms',
      value: perMsg('bus2', 'redisCpuS'),
      baseline: perMsg('raw2', 'redisCpuS'),
      target: null,
      baselineIs: 'redis-server CPU per message of the raw two hops (INFO cpu delta)',
    }),
  ];
}
