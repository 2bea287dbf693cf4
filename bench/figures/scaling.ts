import { Queue } from 'bullmq';
import { startChild, type Child } from '../lib/children';
import type { BenchContext } from '../lib/context';
import { figure, type Figure } from '../lib/report';
import { round, sleep } from '../lib/stats';
import { writeStepVariants } from '../lib/step-variants';

interface Config {
  steps: number;
  bodyBytes: number;
  workers: 1 | 2;
  /** The itinerary to publish (default: the generated bench-steps-<steps>). */
  itinerary?: string;
}

interface Counts {
  completed: number;
  faulted: number;
  cpuS: number;
}

const label = (c: Config) => `${c.steps} step${c.steps > 1 ? 's' : ''}, ${c.bodyBytes / 1024} KB, ${c.workers} worker${c.workers > 1 ? 's' : ''}`;

/** Publish `n` through the gateway node; done when the worker nodes completed them all. */
export async function runVia(
  gateway: Child,
  workers: Child[],
  c: Config,
  n: number,
  window: number,
): Promise<{ msgsPerS: number; workerCpuMsPerMsg: number; gatewayCpuMsPerMsg: number }> {
  const sum = async () => {
    const all = await Promise.all(workers.map((w) => w.request<Counts>('counts')));
    return all.reduce((a, b) => ({ completed: a.completed + b.completed, faulted: a.faulted + b.faulted, cpuS: a.cpuS + b.cpuS }));
  };
  const base = await sum();
  const gw0 = await gateway.request<number>('cpu');
  const t0 = performance.now();
  const drive = gateway.request('drive', { itinerary: c.itinerary ?? `bench-steps-${c.steps}`, n, window, bodyBytes: c.bodyBytes, wait: false }, 300_000);
  const end = Date.now() + 300_000;
  let now = base;
  for (;;) {
    now = await sum();
    if (now.faulted > base.faulted) throw new Error(`${now.faulted - base.faulted} messages faulted (${label(c)})`);
    if (now.completed - base.completed >= n) break;
    if (Date.now() > end) throw new Error(`${label(c)}: only ${now.completed - base.completed} of ${n} completed in 300 s`);
    await sleep(5);
  }
  const ms = performance.now() - t0;
  await drive;
  const gw = (await gateway.request<number>('cpu')) - gw0;
  return {
    msgsPerS: round(n / (ms / 1000), 0),
    workerCpuMsPerMsg: round(((now.cpuS - base.cpuS) * 1000) / n, 3),
    gatewayCpuMsPerMsg: round((gw * 1000) / n, 3),
  };
}

async function emptyOutQueue(ctx: BenchContext): Promise<void> {
  const connection = ctx.redis.admin.duplicate();
  const q = new Queue('bench.out', { connection, prefix: '{itinera}' });
  try {
    await q.obliterate({ force: true });
  } finally {
    await q.close();
    connection.disconnect();
  }
}

/**
 * Figure 8: how throughput changes with the number of steps (1, 5, 20), the body
 * (1 KB, 64 KB) and worker processes (1, 2), on the BullMQ box with the gateway
 * (publishing through its own on-ramp API) in a process of its own. Quick mode
 * varies one factor at a time around 5 steps, 1 KB, 1 worker; the full run does
 * every combination.
 */
export async function scalingFigures(ctx: BenchContext): Promise<Figure[]> {
  const { o } = ctx;
  const configs: Config[] = o.scalingFull
    ? [1, 2].flatMap((workers) => [1024, 65536].flatMap((bodyBytes) => [1, 5, 20].map((steps) => ({ steps, bodyBytes, workers }) as Config)))
    : [
        { steps: 1, bodyBytes: 1024, workers: 1 },
        { steps: 5, bodyBytes: 1024, workers: 1 },
        { steps: 20, bodyBytes: 1024, workers: 1 },
        { steps: 5, bodyBytes: 65536, workers: 1 },
        { steps: 5, bodyBytes: 1024, workers: 2 },
      ];
  const variants = writeStepVariants(ctx.itineraries, [1, 5, 20]);
  const children: Child[] = [];
  const env = (roles: string) => ctx.busEnv('bullmq', { BENCH_ROLES: roles, BENCH_ITINERARIES: variants.dir });
  try {
    ctx.log('scaling: starting a gateway node and a worker node (bullmq)');
    const [gateway, w1] = await Promise.all([
      startChild('gateway (bullmq)', 'children/bus-node.ts', { env: env('gateway') }),
      startChild('worker 1 (bullmq)', 'children/bus-node.ts', { env: env('worker') }),
    ]);
    children.push(gateway.child, w1.child);
    const workers = [w1.child];
    const figures: Figure[] = [];
    await ctx.profileStart([w1.child]);
    let profiling = true;
    for (const c of configs) {
      if (c.workers === 2 && profiling) {
        // The profile covers the one-worker configurations.
        await ctx.profileStop([[w1.child, 'scaling-worker']]);
        profiling = false;
      }
      if (c.workers === 2 && workers.length < 2) {
        ctx.log('scaling: starting a second worker node');
        const w2 = await startChild('worker 2 (bullmq)', 'children/bus-node.ts', { env: env('worker') });
        children.push(w2.child);
        workers.push(w2.child);
      }
      // Nothing consumes bench.out: empty it, or 64 KB bodies pile up in Redis from one configuration to the next.
      await emptyOutQueue(ctx);
      const use = workers.slice(0, c.workers);
      // Warm-up (both workers of a pair, the new one included), then a run of about runSeconds.
      const warm = await runVia(gateway.child, use, c, o.warmupMessages, o.window);
      const n = Math.max(200, Math.round(warm.msgsPerS * o.runSeconds));
      const res = await runVia(gateway.child, use, c, n, o.window);
      ctx.log(`scaling: ${label(c)}: ${res.msgsPerS} msg/s (worker CPU ${res.workerCpuMsPerMsg} ms/msg, gateway ${res.gatewayCpuMsPerMsg} ms/msg)`);
      figures.push(figure({ name: `scaling: ${label(c)}`, unit: 'msg/s', value: res.msgsPerS, baseline: null, target: null, raw: { ...c, n, ...res } }));
    }
    if (profiling) await ctx.profileStop([[w1.child, 'scaling-worker']]);
    return figures;
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    variants.remove();
  }
}
