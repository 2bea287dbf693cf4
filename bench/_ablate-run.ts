// SCRATCH (not for commit)
import { startChild } from './lib/children';
import { startBenchRedis, commandStats, commandDelta } from './lib/redis';
import { median } from './lib/stats';
(async () => {
  const redis = await startBenchRedis();
  const transport = process.argv[2] as 'bullmq' | 'memory';
  const sets = process.argv.slice(3);
  try {
    for (const set of sets) {
      const { child } = await startChild('ablate', '_ablate.ts', { nodeFlags: process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/abprof/' + set] : [], env: { ABLATE: set === 'none' ? '' : set, ITINERA_TRANSPORT: transport, REDIS_URL: redis.url, ITINERA_LOG_LEVEL: 'warn', BENCH_ITINERARIES: '/work/main/bench/itineraries', ...(transport === 'memory' ? { BENCH_DRAIN: 'bench.out' } : {}) } });
      const args = { itinerary: 'bench-flow', window: 64, bodyBytes: 1024 };
      await child.request('drive', { ...args, n: 4000 });
      await child.request('drive', { ...args, n: 4000 });
      const rates: number[] = [], cpus: number[] = [], cmds: number[] = [];
      for (let i = 0; i < 3; i++) {
        const b = await commandStats(redis.admin);
        const r = await child.request('drive', { ...args, n: 6000 });
        const d = commandDelta(b, await commandStats(redis.admin));
        rates.push(r.n / (r.totalMs / 1000)); cpus.push((r.cpuS * 1000) / r.n); cmds.push(d.total / r.n);
      }
      console.log(`${transport} ${set.padEnd(28)} ${median(rates).toFixed(0).padStart(6)} msg/s  ${median(cpus).toFixed(3)} ms CPU/msg  ${median(cmds).toFixed(1)} cmd/msg   [${rates.map((x) => x.toFixed(0)).join(' ')}]`);
      await child.stop();
      await redis.admin.flushall();
    }
  } finally { await redis.stop(); }
})();
