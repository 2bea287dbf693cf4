import { makeBody } from '../children/serve';
import { cannon, type CannonResult } from '../lib/autocannon';
import { startChild, type Child } from '../lib/children';
import type { BenchContext } from '../lib/context';
import { figure, type Figure } from '../lib/report';
import { median, round } from '../lib/stats';

/**
 * Figure 5: HTTP on-ramp requests/s with autocannon (in the runner's process)
 * against a bus (embedded box, as `npm start`) running the receive-stage
 * bench-reply itinerary, and against a bare Fastify route answering the same
 * JSON. Same path, same body, same connections; A B A B after a warm-up.
 * The server's CPU use per run tells whether it, not autocannon, was the limit.
 */
export async function httpFigures(ctx: BenchContext): Promise<Figure[]> {
  const { o } = ctx;
  ctx.log('http: starting a bus (embedded box) and a bare Fastify server');
  const children: Child[] = [];
  try {
    const [bus, bare, unrecorded] = await Promise.all([
      startChild('bus (memory)', 'children/bus-node.ts', { env: ctx.busEnv('memory') }),
      startChild('bare Fastify', 'children/fastify-bare.ts'),
      // What a promise costs, measured: the same bus with its message store stubbed out
      // (no record, so no GET /messages/{id}). A measurement only: the bus has no such setting.
      startChild('bus (memory, no records)', 'children/bus-node.ts', { env: ctx.busEnv('memory', { BENCH_STUB_RECORDS: '1' }) }),
    ]);
    children.push(bus.child, bare.child, unrecorded.child);
    const body = JSON.stringify(makeBody(1, o.bodyBytes));
    const path = '/itineraries/bench-reply/messages';
    const run = (url: string, duration: number) =>
      cannon({
        url: url + path,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        connections: o.httpConnections,
        pipelining: o.httpPipelining,
        duration,
      });

    // Check both answer the same JSON before measuring.
    const answers = await Promise.all(
      [bus.info.url, bare.info.url].map(async (u: string) => {
        const res = await fetch(u + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        return `${res.status} ${await res.text()}`;
      }),
    );
    if (answers[0] !== answers[1]) throw new Error(`the bus and the baseline answer differently: ${answers[0]} vs ${answers[1]}`);

    await run(bus.info.url, o.httpWarmupSeconds);
    await run(bare.info.url, o.httpWarmupSeconds);
    await run(unrecorded.info.url, o.httpWarmupSeconds);
    const rounds: { side: string; reqPerS: number; p50: number; p99: number; serverCpu: number }[] = [];
    await ctx.profileStart([bus.child, bare.child]);
    for (let r = 0; r < o.rounds; r++) {
      for (const [side, c, url] of [
        ['bus', bus.child, bus.info.url],
        ['bare', bare.child, bare.info.url],
        ['unrecorded', unrecorded.child, unrecorded.info.url],
      ] as const) {
        const cpu0 = await c.request<number>('cpu');
        const res: CannonResult = await run(url, o.httpSeconds);
        const cpu = (await c.request<number>('cpu')) - cpu0;
        rounds.push({
          side,
          reqPerS: round(res.requests.total / res.duration, 0),
          p50: res.latency.p50,
          p99: res.latency.p99,
          serverCpu: round(cpu / res.duration, 2),
        });
        ctx.log(
          `http: round ${r + 1} ${side}: ${(res.requests.total / res.duration).toFixed(0)} req/s, p99 ${res.latency.p99} ms, server CPU ${(cpu / res.duration).toFixed(2)} cores`,
        );
      }
    }
    await ctx.profileStop([
      [bus.child, 'http-bus'],
      [bare.child, 'http-bare'],
    ]);
    const of = (side: string) => median(rounds.filter((x) => x.side === side).map((x) => x.reqPerS));
    const cpuUs = (side: string) => round(median(rounds.filter((x) => x.side === side).map((x) => (x.serverCpu * 1e6) / x.reqPerS)), 1);
    return [
      figure({
        name: 'HTTP on-ramp req/s, receive-stage reply',
        unit: 'req/s',
        value: of('bus'),
        baseline: of('bare'),
        target: '>= 0.7',
        baselineIs: `bare Fastify route returning the same JSON; autocannon, ${o.httpConnections} connections, pipelining ${o.httpPipelining}, ${o.bodyBytes} B body`,
        raw: { rounds },
      }),
      figure({
        name: 'HTTP req/s, the same bus without message records',
        unit: 'req/s',
        value: of('unrecorded'),
        baseline: of('bare'),
        target: null,
        baselineIs:
          'bare Fastify, as above; the bus with its message store stubbed out (a bench-only stub): the gap to the first row is what the record readable at GET /messages/{id} costs',
        raw: { cpuUsPerRequest: cpuUs('unrecorded') },
      }),
      figure({
        name: 'server CPU per HTTP request',
        unit: 'µs',
        value: cpuUs('bus'),
        baseline: cpuUs('bare'),
        target: null,
        baselineIs: 'the bare Fastify process',
      }),
    ];
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}
