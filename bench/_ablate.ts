// SCRATCH (not for commit): bus-node with ablations, to attribute CPU per message.
import { loadConfig, startNode } from '@itinera/runtime';
import { cpuSeconds, lanes, makeBody, serve } from './children/serve';
import { Tally } from './children/tally';

serve(async () => {
  const ab = new Set((process.env.ABLATE ?? '').split(',').filter(Boolean));
  if (ab.has('noclone')) (globalThis as any).structuredClone = (x: unknown) => x;
  const config = loadConfig(process.env, { port: 0, host: '127.0.0.1', itinerariesDir: process.env.BENCH_ITINERARIES! });
  const node = await startNode({ roles: { gateway: true, worker: true }, config });
  const bus: any = node.bus;
  const done = new Tally();
  const inc = bus.metrics.messagesCompleted.inc.bind(bus.metrics.messagesCompleted);
  bus.metrics.messagesCompleted.inc = (l: any, b: any) => { inc(l, b); done.inc(); };
  if (ab.has('store')) { bus.messages.put = async () => undefined; bus.messages.update = async () => undefined; }
  if (ab.has('running')) { const u = bus.messages.update.bind(bus.messages); bus.messages.update = async (id: string, p: any, t: any) => (p.status === 'running' && !t ? undefined : u(id, p, t)); }
  if (ab.has('observer')) bus.runner.deps.observer = undefined;
  if (ab.has('pipeline')) {
    if (bus.messages.conn) bus.messages.conn.client.options.enableAutoPipelining = true;
    if (bus.box.redis) bus.box.redis.options.enableAutoPipelining = true;
  }
  if (process.env.BENCH_DRAIN) await bus.box.consume(process.env.BENCH_DRAIN, async () => undefined, { concurrency: 16 });
  return {
    info: { url: node.url },
    handlers: {
      mem: async () => { (globalThis as any).gc?.(); return process.memoryUsage(); },
      async drive(a: any) {
        const template = makeBody(0, a.bodyBytes);
        const base = done.value; const c0 = cpuSeconds(); const t0 = performance.now();
        await lanes(a.n, a.window, async (i) => { await bus.gateway.accept({ itinerary: a.itinerary, body: { ...template, id: `o-${i}` }, headers: {}, transport: 'internal' }); });
        await done.reach(base + a.n, 120000, 'done');
        return { n: a.n, totalMs: performance.now() - t0, cpuS: cpuSeconds() - c0 };
      },
    },
    cleanup: () => node.close(),
  };
});
