/**
 * `npm run bench:startup [-- --runs=N] [--role=gateway|worker|bus] [--json]`
 *
 * Start-up time of one node: from spawning the process to its first 200 on /health/ready,
 * for the built app (what the image runs), the same without source maps, and the tsx start
 * from source that `npm run start:gateway` used before the build. The variants run
 * interleaved (one of each per round, after one unmeasured warm-up each, which also fills
 * tsx's transform cache) so machine load hits them alike; the figure is the median.
 * Gateway and worker run on BullMQ against a redis-server on a free port, as deployed.
 * On Linux it also reports the CPU time the process tree used until ready (from /proc), which
 * a busy machine inflates far less than the wall-clock figure.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../test/support/ports';
import { startRedis, type RedisServer } from '../test/support/redis-server';
import { ROOT } from './lib/children';
import { median, round, sleep } from './lib/stats';

const opt = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const RUNS = Number(opt('runs', '7'));
const ROLE = opt('role', 'gateway');
const JSON_OUT = process.argv.includes('--json');

const VARIANTS: { name: string; argv: string[] }[] = [
  {
    name: `node --enable-source-maps dist/apps/${ROLE}/main.js (image, npm start)`,
    argv: [process.execPath, '--enable-source-maps', `dist/apps/${ROLE}/main.js`],
  },
  { name: `node dist/apps/${ROLE}/main.js`, argv: [process.execPath, `dist/apps/${ROLE}/main.js`] },
  { name: `tsx apps/${ROLE}/src/main.ts (from source)`, argv: [join(ROOT, 'node_modules/.bin/tsx'), `apps/${ROLE}/src/main.ts`] },
];

const CLK_TCK = process.platform === 'linux' ? Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) : 0;

/** CPU time (user + system, every thread) of `pid` and its descendants so far, in ms; NaN off Linux. */
function treeCpuMs(pid: number): number {
  if (!CLK_TCK) return NaN;
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' '); // after "pid (comm) ": state ppid … utime(11) stime(12)
      stats.set(Number(entry), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      /* exited meanwhile */
    }
  }
  let ticks = 0;
  for (const [p, s] of stats) {
    for (let q = p; q > 1; q = stats.get(q)?.ppid ?? 0) {
      if (q === pid) {
        ticks += s.ticks;
        break;
      }
    }
  }
  return (ticks * 1000) / CLK_TCK;
}

/** Wall-clock ms from spawn to the first 200 on /health/ready, and CPU ms used by then; the process is stopped (SIGTERM) before it returns. */
async function startOnce(argv: string[], env: NodeJS.ProcessEnv): Promise<{ wall: number; cpu: number }> {
  const port = await freePort();
  const t0 = performance.now();
  const proc = spawn(argv[0], argv.slice(1), { cwd: ROOT, env: { ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  try {
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`${argv.join(' ')} exited ${proc.exitCode}: ${stderr}`);
      const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return { wall: performance.now() - t0, cpu: treeCpuMs(proc.pid!) };
      if (performance.now() - t0 > 120_000) throw new Error(`${argv.join(' ')}: not ready within 120 s: ${stderr}`);
      await sleep(5);
    }
  } finally {
    // SIGTERM, not SIGKILL: tsx passes it on to its node child, which would outlive a SIGKILLed parent.
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, `dist/apps/${ROLE}/main.js`))) throw new Error(`dist/apps/${ROLE}/main.js is missing: run npm run build first`);
  let redis: RedisServer | undefined;
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, ITINERA_LOG_LEVEL: 'warn' };
    delete env.NODE_OPTIONS;
    if (ROLE !== 'bus') {
      redis = await startRedis({ appendonly: false });
      Object.assign(env, { ITINERA_TRANSPORT: 'bullmq', REDIS_URL: redis.url });
    }
    const samples = VARIANTS.map(() => [] as { wall: number; cpu: number }[]);
    for (const v of VARIANTS) await startOnce(v.argv, env); // warm-up: disk cache, tsx's cache
    for (let round = 0; round < RUNS; round++) {
      for (const [i, v] of VARIANTS.entries()) samples[i].push(await startOnce(v.argv, env));
    }
    const rows = VARIANTS.map((v, i) => ({
      variant: v.name,
      medianMs: round(median(samples[i].map((s) => s.wall)), 0),
      minMs: round(Math.min(...samples[i].map((s) => s.wall)), 0),
      cpuMedianMs: round(median(samples[i].map((s) => s.cpu)), 0),
      runs: RUNS,
    }));
    if (JSON_OUT) process.stdout.write(`${JSON.stringify({ role: ROLE, node: process.version, rows }, null, 2)}\n`);
    else {
      process.stdout.write(`start-up of the ${ROLE} (spawn to /health/ready 200), ${RUNS} runs each, Node ${process.version}\n`);
      process.stdout.write(`  ${'wall median'.padStart(12)} ${'wall min'.padStart(9)} ${'CPU median'.padStart(11)}\n`);
      for (const r of rows)
        process.stdout.write(`  ${`${r.medianMs} ms`.padStart(12)} ${`${r.minMs} ms`.padStart(9)} ${`${r.cpuMedianMs} ms`.padStart(11)}   ${r.variant}\n`);
      const [built, , tsx] = rows;
      process.stdout.write(`  built / tsx: ${round(built.medianMs / tsx.medianMs, 2)}x wall, ${round(built.cpuMedianMs / tsx.cpuMedianMs, 2)}x CPU\n`);
    }
  } finally {
    await redis?.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:startup: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
