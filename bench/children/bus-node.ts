/**
 * A bus node in its own process (startNode, as `npm start` runs it), with a
 * publisher built in: `drive` accepts messages through the node's own gateway
 * (the on-ramp API every receive adapter calls), so the figure measures
 * publication and the worker, not an HTTP client.
 *
 * Environment: the usual ITINERA_* / REDIS_URL variables, plus
 * BENCH_ROLES (`gateway,worker` by default), BENCH_ITINERARIES (folder) and
 * BENCH_DRAIN (a queue to consume with a no-op handler: on the embedded box the
 * itinerary's target queue would otherwise grow in the heap for the whole run) and
 * BENCH_STUB_RECORDS (message records written nowhere: to measure what they cost) and
 * BENCH_SAMPLE_STEPS (register the samples' TypeScript steps, as `npm start` does).
 */
import { loadConfig, startNode } from '@itinera/runtime';
import { SAMPLE_STEPS } from '../../itineraries/extensions';
import { cpuSeconds, lanes, makeBody, serve } from './serve';
import { Tally } from './tally';

serve(async () => {
  const roles = (process.env.BENCH_ROLES ?? 'gateway,worker').split(',');
  const config = loadConfig(process.env, {
    port: 0,
    host: '127.0.0.1',
    itinerariesDir: process.env.BENCH_ITINERARIES!,
  });
  const steps = process.env.BENCH_SAMPLE_STEPS === '1' ? SAMPLE_STEPS : undefined;
  const node = await startNode({ roles: { gateway: roles.includes('gateway'), worker: roles.includes('worker') }, config, steps });
  const { bus } = node;
  if (process.env.BENCH_STUB_RECORDS === '1') {
    bus.messages.put = async () => undefined;
    bus.messages.update = async () => undefined;
  }

  // Probes on the node's own metrics: completion is counted where the worker records it, at no Redis cost.
  const completed = new Tally();
  const faulted = new Tally();
  const settled = new Tally();
  const metrics = bus.metrics;
  const onCompleted = metrics.messageCompleted.bind(metrics);
  metrics.messageCompleted = (itinerary, transport) => {
    onCompleted(itinerary, transport);
    completed.inc(1);
    settled.inc(1);
  };
  const onFaulted = metrics.messageFaulted.bind(metrics);
  let lastFault = '';
  metrics.messageFaulted = (itinerary, transport, code) => {
    onFaulted(itinerary, transport, code);
    lastFault = `${itinerary}: ${code}`;
    faulted.inc(1);
    settled.inc(1);
  };

  const drain = process.env.BENCH_DRAIN;
  if (drain) await bus.box.consume(drain, async () => undefined, { concurrency: config.workerConcurrency });

  return {
    info: { url: node.url, transport: config.transport, concurrency: config.workerConcurrency },
    handlers: {
      /** Publish `n` messages, `window` at a time; with `wait`, until this node's worker completed them all. */
      async drive(a: { itinerary: string; n: number; window: number; bodyBytes: number; wait: boolean; timeoutMs?: number }) {
        const template = makeBody(0, a.bodyBytes);
        const faultBase = faulted.value;
        const settledBase = settled.value;
        const cpu0 = cpuSeconds();
        const t0 = performance.now();
        await lanes(a.n, a.window, async (i) => {
          await bus.gateway.accept({
            itinerary: a.itinerary,
            body: { ...template, id: `o-${i}`, amount: i % 3 === 0 ? 150 : 5 },
            headers: {},
            transport: 'internal',
          });
        });
        const publishMs = performance.now() - t0;
        if (a.wait) {
          // Completed or faulted: every message ends one way or the other; a fault is a broken benchmark.
          await settled.reach(settledBase + a.n, a.timeoutMs ?? 120_000, `${a.n} settled messages`);
          if (faulted.value > faultBase) throw new Error(`${faulted.value - faultBase} of ${a.n} messages faulted (last: ${lastFault}); see the bus log`);
        }
        return { n: a.n, publishMs, totalMs: performance.now() - t0, cpuS: cpuSeconds() - cpu0, faulted: faulted.value - faultBase };
      },
      counts: () => ({ completed: completed.value, faulted: faulted.value, cpuS: cpuSeconds() }),
      cpu: () => cpuSeconds(),
      mem: async () => {
        const gc = (globalThis as { gc?: () => void }).gc;
        for (let i = 0; i < 3 && gc; i++) {
          gc();
          await new Promise((r) => setTimeout(r, 50));
        }
        return process.memoryUsage();
      },
    },
    cleanup: () => node.close(),
  };
});
