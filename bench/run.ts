/**
 * `npm run bench [-- --quick] [--only=throughput,duplex,http,embedded,orders,sessions,scaling,capacity] [--profile] [--readme]`
 *
 * Starts what it needs (a redis-server on a free port, bus and baseline child
 * processes), runs each figure's bus and baseline interleaved after a warm-up,
 * prints the table and writes bench/results/latest.json. Every child and the
 * redis-server are stopped at the end, on errors and on Ctrl-C.
 */
import { join } from 'node:path';
import { BENCH_DIR, killAllNow, stopAll } from './lib/children';
import { createContext, parseOptions, type BenchContext, type FigureKey } from './lib/context';
import { busyCores } from './lib/machine-load';
import { summariseProfiles } from './lib/profile';
import { startBenchRedis, type BenchRedis } from './lib/redis';
import { failedFigure, machine, readmeSection, table, writeReadmeSection, writeResults, type Figure } from './lib/report';
import { throughputFigures } from './figures/throughput';
import { duplexFigures } from './figures/duplex';
import { httpFigures } from './figures/http';
import { embeddedFigures } from './figures/embedded';
import { ordersFigures } from './figures/orders';
import { sessionFigures } from './figures/sessions';
import { scalingFigures } from './figures/scaling';
import { capacityFigures } from './figures/capacity';

const FIGURES: Record<FigureKey, { label: string; run: (ctx: BenchContext) => Promise<Figure[]> }> = {
  throughput: { label: 'msg/s and Redis commands, BullMQ box', run: throughputFigures },
  duplex: { label: 'duplex round trip', run: duplexFigures },
  http: { label: 'HTTP on-ramp', run: httpFigures },
  embedded: { label: 'embedded message box', run: embeddedFigures },
  orders: { label: 'orders sample end to end', run: ordersFigures },
  sessions: { label: 'memory per idle WebSocket session', run: sessionFigures },
  scaling: { label: 'scaling table', run: scalingFigures },
  capacity: { label: 'capacity check', run: capacityFigures },
};

let redis: BenchRedis | undefined;
let shuttingDown = false;

async function shutdown(code: number, why?: string): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true;
    if (why) process.stderr.write(`\n${why}: stopping children and redis-server\n`);
    const force = setTimeout(() => {
      killAllNow();
      process.exit(code);
    }, 8000);
    force.unref();
    await stopAll().catch(() => killAllNow());
    await redis?.stop().catch(() => undefined);
  }
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(130, 'interrupted'));
process.on('SIGTERM', () => void shutdown(143, 'terminated'));
process.on('uncaughtException', (err) => {
  process.stderr.write(`uncaught: ${err.stack ?? err.message}\n`);
  void shutdown(1);
});
process.on('unhandledRejection', (err) => {
  // Sockets and requests cut by the shutdown itself are expected.
  if (shuttingDown) return;
  process.stderr.write(`unhandled rejection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  void shutdown(1);
});
// Last resort (e.g. process.exit elsewhere): children must not outlive the runner.
process.on('exit', () => killAllNow());

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const started = Date.now();
  // A stuck run must not hang forever: the whole bench has a deadline.
  const deadline = setTimeout(() => void shutdown(1, `the benchmark did not finish within ${o.quick ? 6 : 45} minutes`), (o.quick ? 6 : 45) * 60_000);
  deadline.unref();

  redis = await startBenchRedis();
  const ctx = createContext(o, redis);
  ctx.log(`${o.quick ? 'quick' : 'full'} run; redis-server ${redis.version} at ${redis.url}; figures: ${o.only.join(', ')}`);

  const figures: Figure[] = [];
  /** Other work on the machine just before each figure (cores busy while the benchmark ran nothing). */
  const otherLoad: Record<string, number | null> = {};
  for (const key of o.only) {
    const t0 = Date.now();
    otherLoad[key] = await busyCores();
    if ((otherLoad[key] ?? 0) > 0.25) ctx.log(`note: other processes keep ${otherLoad[key]} cores busy; ${key} figures will be noisy`);
    try {
      figures.push(...(await FIGURES[key].run(ctx)));
    } catch (err) {
      ctx.log(`${key} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      figures.push(failedFigure(FIGURES[key].label, err));
    }
    ctx.log(`${key} took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // Each figure starts from an empty Redis: nothing left over from the last one weighs on the next.
    await redis.admin.flushall();
  }

  const result = { machine: { ...machine(redis.version, o.quick ? 'quick' : 'full'), otherLoadCores: otherLoad }, figures };
  writeResults(o.out, result);
  if (o.readme) writeReadmeSection(join(BENCH_DIR, 'README.md'), readmeSection(result, ['npm run bench', ...(o.quick ? ['-- --quick'] : [])].join(' ')));
  process.stdout.write(`\n${table(figures)}\n\n`);
  process.stdout.write(`machine: ${JSON.stringify(result.machine)}\n`);
  process.stdout.write(`written: ${o.out} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  const failed = figures.filter((f) => f.error);
  await stopAll();
  await redis.stop();
  redis = undefined;
  if (o.profile) process.stdout.write(`\n${summariseProfiles()}\n`);
  process.exit(failed.length ? 1 : 0);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  void shutdown(1);
});
