import { join } from 'node:path';
import { cannon } from '../lib/autocannon';
import { ROOT, startChild, type Child } from '../lib/children';
import type { BenchContext } from '../lib/context';
import { figure, type Figure } from '../lib/report';
import { median, round, sleep } from '../lib/stats';

interface Counts {
  completed: number;
  faulted: number;
  cpuS: number;
}

const PATH = '/itineraries/orders/messages';
const ORDER = JSON.stringify({ productId: 7, amount: 2, customerId: 42 });
/** Itineraries (or hand-written stages) that complete per order: orders, then order-fulfilment. */
const PER_ORDER = 2;

/**
 * `n` orders through HTTP with autocannon, timed until the server completed both
 * itineraries of every one of them (read from its counters): measured from outside,
 * as a team would measure either server.
 */
async function ordersRun(ctx: BenchContext, server: Child, url: string, n: number): Promise<{ ordersPerS: number; cpuMsPerOrder: number; p99: number }> {
  const base = await server.request<Counts>('counts');
  const t0 = performance.now();
  const res = await cannon({
    url: url + PATH,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'itinera-action': 'CreateOrder' },
    body: ORDER,
    connections: ctx.o.httpConnections,
    pipelining: ctx.o.httpPipelining,
    amount: n,
    // A cold bus on a busy machine may answer the first requests slowly; slow is measured, not an error.
    timeout: 60,
  });
  const end = Date.now() + 120_000;
  let now = base;
  for (;;) {
    now = await server.request<Counts>('counts');
    if (now.faulted > base.faulted) throw new Error(`${server.name}: ${now.faulted - base.faulted} orders faulted`);
    if (now.completed - base.completed >= n * PER_ORDER) break;
    if (Date.now() > end) throw new Error(`${server.name}: ${now.completed - base.completed} of ${n * PER_ORDER} completions in 120 s`);
    await sleep(2);
  }
  const s = (performance.now() - t0) / 1000;
  return { ordersPerS: round(n / s, 0), cpuMsPerOrder: round(((now.cpuS - base.cpuS) * 1000) / n, 3), p99: res.latency.p99 };
}

/**
 * The orders sample end to end on the embedded box (as `npm start` runs it: HTTP in,
 * orders and order-fulfilment to completion) against the same work written by hand in
 * one Fastify server (bench/baselines/orders-fastify.ts), both driven from outside by
 * autocannon, interleaved after a warm-up.
 */
export async function ordersFigures(ctx: BenchContext): Promise<Figure[]> {
  const { o } = ctx;
  const samples = join(ROOT, 'itineraries');
  ctx.log('orders: starting a bus (embedded box) with the samples and the hand-written Fastify server');
  const children: Child[] = [];
  try {
    const [bus, hand] = await Promise.all([
      startChild('bus (memory, orders sample)', 'children/bus-node.ts', { env: ctx.busEnv('memory', { BENCH_ITINERARIES: samples, BENCH_SAMPLE_STEPS: '1' }) }),
      startChild('orders by hand (Fastify)', 'baselines/orders-fastify.ts', {
        env: { BENCH_SAMPLES: samples, BENCH_CONCURRENCY: String(o.concurrency), BENCH_LOG_LEVEL: o.logLevel },
      }),
    ]);
    children.push(bus.child, hand.child);
    const sides = [
      ['bus', bus.child, bus.info.url as string],
      ['hand', hand.child, hand.info.url as string],
    ] as const;
    const sizes: Record<string, number> = {};
    for (const [side, child, url] of sides) {
      await ordersRun(ctx, child, url, o.warmupMessages);
      const w = await ordersRun(ctx, child, url, o.warmupMessages);
      sizes[side] = Math.max(200, Math.round(w.ordersPerS * o.runSeconds));
      ctx.log(`orders: warm-up ${side}: ${w.ordersPerS} orders/s`);
    }
    const rounds: { side: string; ordersPerS: number; cpuMsPerOrder: number; p99: number }[] = [];
    await ctx.profileStart([bus.child, hand.child]);
    for (let r = 0; r < o.rounds; r++) {
      for (const [side, child, url] of sides) {
        const res = await ordersRun(ctx, child, url, sizes[side]);
        rounds.push({ side, ...res });
        ctx.log(`orders: round ${r + 1} ${side}: ${res.ordersPerS} orders/s, CPU ${res.cpuMsPerOrder} ms/order, HTTP p99 ${res.p99} ms`);
      }
    }
    await ctx.profileStop([
      [bus.child, 'orders-bus'],
      [hand.child, 'orders-hand'],
    ]);
    const of = (side: string, k: 'ordersPerS' | 'cpuMsPerOrder') => median(rounds.filter((x) => x.side === side).map((x) => x[k]));
    return [
      figure({
        name: 'orders/s, orders sample end to end, embedded box',
        unit: 'orders/s',
        value: of('bus', 'ordersPerS'),
        baseline: of('hand', 'ordersPerS'),
        target: '>= 0.8',
        baselineIs: `the same work by hand in one Fastify server (ajv, the same JSONata maps and rules, in-process queues); autocannon, ${o.httpConnections} connections, until both itineraries completed`,
        raw: { rounds, sizes },
      }),
      figure({
        name: 'server CPU per order, orders sample',
        unit: 'ms',
        value: of('bus', 'cpuMsPerOrder'),
        baseline: of('hand', 'cpuMsPerOrder'),
        target: null,
        baselineIs: 'the hand-written Fastify server',
      }),
    ];
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}
