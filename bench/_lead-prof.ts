// Lead's profiling harness (temporary): embedded bus, N messages through bench-flow via gateway.accept, time to all sends.
import { resolve } from 'node:path';
import { silentLogger } from '@itinera/core';
import { loadConfig, startNode } from '@itinera/runtime';

async function main() {
  const n = Number(process.argv[2] ?? 20000);
  const config = loadConfig({ ITINERA_LOG_LEVEL: process.env.LVL ?? 'silent' } as NodeJS.ProcessEnv, { port: 0, host: '127.0.0.1', itinerariesDir: resolve(__dirname, 'itineraries') });
  const node = await startNode({ roles: { gateway: true, worker: true }, config, logger: silentLogger });
  let got = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await node.bus.box.consume('bench.out', async () => { if (++got === n) done(); }, { concurrency: 64 });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    inflight.push(node.bus.gateway.accept({ itinerary: 'bench-flow', action: 'Go', body: { productId: i, amount: (i % 20) + 1, customerId: 7 }, headers: {}, transport: 'http' }));
    if (inflight.length >= 256) { await Promise.all(inflight); inflight.length = 0; }
  }
  await Promise.all(inflight);
  await finished;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  console.log(`cpu per message: ${((cpu.user + cpu.system) / n).toFixed(1)} us`);
  console.log(`${n} msgs in ${ms.toFixed(0)} ms: ${(n / (ms / 1000)).toFixed(0)} msg/s`);
  await node.close();
}
main();
