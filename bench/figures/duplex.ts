import { makeBody } from '../children/serve';
import { startChild, type Child } from '../lib/children';
import type { BenchContext } from '../lib/context';
import { echoRoundTrips, pollRoundTrips, wsRoundTrips, type Samples } from '../lib/duplex-clients';
import { figure, type Figure } from '../lib/report';
import { percentile, round } from '../lib/stats';

const summary = (s: Samples) => ({
  n: s.length,
  p50: round(percentile(s, 50), 3),
  p90: round(percentile(s, 90), 3),
  p99: round(percentile(s, 99), 3),
  max: round(Math.max(...s), 3),
});

/**
 * Figures 3 and 4: the duplex round trip (send → publication → callback at the
 * client) on a bus with the BullMQ box, over WebSocket and over long polling,
 * one operation at a time. The WebSocket baseline is a raw ws echo round trip
 * plus a raw BullMQ add-to-completed latency (percentile by percentile); the
 * long-polling figure is compared with the WebSocket one. Order per round:
 * bus WS, bus long polling, ws echo, BullMQ latency.
 */
export async function duplexFigures(ctx: BenchContext): Promise<Figure[]> {
  const { o } = ctx;
  const body = makeBody(1, o.bodyBytes);
  ctx.log('duplex: starting a bus (bullmq), a ws echo server and the raw BullMQ baseline');
  const children: Child[] = [];
  try {
    const [bus, echo, raw] = await Promise.all([
      startChild('bus (bullmq)', 'children/bus-node.ts', { env: ctx.busEnv('bullmq') }),
      startChild('ws echo', 'children/ws-echo.ts'),
      startChild('raw BullMQ', 'children/bullmq-raw.ts', {
        env: { REDIS_URL: ctx.redis.url, BENCH_CONCURRENCY: String(o.concurrency), BENCH_QUEUE: 'raw.latency' },
      }),
    ]);
    children.push(bus.child, echo.child, raw.child);
    const url = bus.info.url as string;
    const w = o.warmupRoundTrips;
    await wsRoundTrips(url, w, body);
    await pollRoundTrips(url, w, body);
    await echoRoundTrips(echo.info.url, w, body);
    await raw.child.request<Samples>('latency', { n: w, bodyBytes: o.bodyBytes });

    const all = { ws: [] as Samples, poll: [] as Samples, echo: [] as Samples, bull: [] as Samples };
    const rounds: Record<string, unknown>[] = [];
    await ctx.profileStart([bus.child]);
    for (let r = 0; r < o.rounds; r++) {
      const ws = await wsRoundTrips(url, o.roundTrips, body);
      const poll = await pollRoundTrips(url, o.roundTrips, body);
      const ech = await echoRoundTrips(echo.info.url, o.roundTrips, body);
      const bull = await raw.child.request<Samples>('latency', { n: o.roundTrips, bodyBytes: o.bodyBytes });
      all.ws.push(...ws);
      all.poll.push(...poll);
      all.echo.push(...ech);
      all.bull.push(...bull);
      const round_ = { ws: summary(ws), poll: summary(poll), echo: summary(ech), bullmq: summary(bull) };
      rounds.push(round_);
      ctx.log(
        `duplex: round ${r + 1}: ws p50/p99 ${round_.ws.p50}/${round_.ws.p99} ms, poll ${round_.poll.p50}/${round_.poll.p99}, echo ${round_.echo.p50}/${round_.echo.p99}, bullmq ${round_.bullmq.p50}/${round_.bullmq.p99}`,
      );
    }
    await ctx.profileStop([[bus.child, 'duplex-bus']]);
    const p = (s: Samples, q: number) => round(percentile(s, q), 3);
    const base50 = round(p(all.echo, 50) + p(all.bull, 50), 3);
    const base99 = round(p(all.echo, 99) + p(all.bull, 99), 3);
    const raw_ = { all: { ws: summary(all.ws), poll: summary(all.poll), echo: summary(all.echo), bullmq: summary(all.bull) }, rounds };
    const baselineIs = 'raw ws echo round trip + raw BullMQ add-to-completed, percentile by percentile';
    return [
      figure({ name: 'duplex round trip, WebSocket, p50', unit: 'ms', value: p(all.ws, 50), baseline: base50, target: null, baselineIs, raw: raw_ }),
      figure({ name: 'duplex round trip, WebSocket, p99', unit: 'ms', value: p(all.ws, 99), baseline: base99, target: '<= 1.5', baselineIs }),
      figure({
        name: 'duplex round trip, long polling, p50',
        unit: 'ms',
        value: p(all.poll, 50),
        baseline: p(all.ws, 50),
        target: null,
        baselineIs: 'the WebSocket figure',
      }),
      figure({
        name: 'duplex round trip, long polling, p99',
        unit: 'ms',
        value: p(all.poll, 99),
        baseline: p(all.ws, 99),
        target: '<= 1.3',
        baselineIs: 'the WebSocket figure',
      }),
    ];
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}
