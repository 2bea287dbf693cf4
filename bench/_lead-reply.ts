// Lead's profiling harness (temporary): receive-stage reply through gateway.accept, and over HTTP inject.
import { resolve } from 'node:path';
import { silentLogger } from '@itinera/core';
import { createLogger } from '@itinera/observability';
import { loadConfig, startNode } from '@itinera/runtime';
import { Writable } from 'node:stream';

async function main() {
  const n = Number(process.argv[2] ?? 50000);
  const sink = new Writable({ write(_c, _e, cb) { cb(); } });
  const logger = process.env.LOG ? createLogger({ level: 'info', destination: sink }) : silentLogger;
  const config = loadConfig({ ITINERA_LOG_LEVEL: 'info' } as NodeJS.ProcessEnv, { port: 0, host: '127.0.0.1', itinerariesDir: resolve(__dirname, 'itineraries') });
  const node = await startNode({ roles: { gateway: true, worker: true }, config, logger });
  const msg = { itinerary: 'bench-reply', action: 'Go', body: { a: 1 }, headers: {}, transport: 'http' as const };
  for (let i = 0; i < 5000; i++) await node.bus.gateway.accept(msg);
  let c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await node.bus.gateway.accept(msg);
  let cpu = process.cpuUsage(c0);
  console.log(`gateway.accept cpu: ${((cpu.user + cpu.system) / n).toFixed(1)} us`);
  const app = node.app as any;
  const fastify = app.getHttpAdapter().getInstance();
  const req = { method: 'POST', url: '/itineraries/bench-reply/messages', headers: { 'content-type': 'application/json' }, payload: '{"a":1}' };
  for (let i = 0; i < 2000; i++) await fastify.inject(req);
  c0 = process.cpuUsage();
  for (let i = 0; i < n / 5; i++) await fastify.inject(req);
  cpu = process.cpuUsage(c0);
  console.log(`inject cpu: ${((cpu.user + cpu.system) / (n / 5)).toFixed(1)} us`);
  await node.close();
}
main();
