import { startChild, type Child } from '../lib/children';
import type { BenchContext } from '../lib/context';
import { figure, type Figure } from '../lib/report';
import { median, round } from '../lib/stats';
import { rate, sized, warmUp, type DriveResult } from './throughput';

/**
 * Figure 6: the 3-step itinerary on the embedded message box (one bus process,
 * publishing through its own gateway, counted at completion) against the same
 * JSONata map and rules policy as plain function calls in one loop. A no-op
 * consumer drains bench.out in the bus process, as the baseline drops its
 * queue array: neither side lets the target queue grow in the heap.
 */
export async function embeddedFigures(ctx: BenchContext): Promise<Figure[]> {
  const { o } = ctx;
  ctx.log('embedded: starting a bus (embedded box) and the plain-calls baseline');
  const children: Child[] = [];
  try {
    const [bus, plain, traced] = await Promise.all([
      startChild('bus (memory)', 'children/bus-node.ts', { env: ctx.busEnv('memory', { BENCH_DRAIN: 'bench.out' }) }),
      startChild('plain calls', 'children/plain-calls.ts', { env: { BENCH_ITINERARIES: ctx.itineraries } }),
      // The same bus logging one structured line per step (the default level), to stdout as in production.
      startChild('bus (memory, info)', 'children/bus-node.ts', {
        env: ctx.busEnv('memory', { BENCH_DRAIN: 'bench.out', ITINERA_LOG_LEVEL: 'info' }),
        discardStdout: true,
      }),
    ]);
    children.push(bus.child, plain.child, traced.child);
    const busArgs = { itinerary: 'bench-flow', window: o.window, bodyBytes: o.bodyBytes, wait: true };
    const plainArgs = { bodyBytes: o.bodyBytes };
    const wb = await warmUp((n) => bus.child.request<DriveResult>('drive', { ...busArgs, n }), o.warmupMessages);
    const wp = await warmUp((n) => plain.child.request<DriveResult>('drive', { ...plainArgs, n }), o.warmupMessages);
    await warmUp((n) => traced.child.request<DriveResult>('drive', { ...busArgs, n }), o.warmupMessages);
    const nBus = sized(wb, o.runSeconds);
    const nPlain = sized(wp, o.runSeconds);
    const rounds: { side: string; msgsPerS: number; cpuS: number; n: number }[] = [];
    await ctx.profileStart([bus.child, plain.child]);
    for (let r = 0; r < o.rounds; r++) {
      const b = await bus.child.request<DriveResult>('drive', { ...busArgs, n: nBus });
      const p = await plain.child.request<DriveResult>('drive', { ...plainArgs, n: nPlain });
      const t = await traced.child.request<DriveResult>('drive', { ...busArgs, n: nBus });
      rounds.push(
        { side: 'bus', msgsPerS: round(rate(b), 0), cpuS: round(b.cpuS, 2), n: b.n },
        { side: 'plain', msgsPerS: round(rate(p), 0), cpuS: round(p.cpuS, 2), n: p.n },
        { side: 'traced', msgsPerS: round(rate(t), 0), cpuS: round(t.cpuS, 2), n: t.n },
      );
      ctx.log(
        `embedded: round ${r + 1}: bus ${rate(b).toFixed(0)} msg/s, plain calls ${rate(p).toFixed(0)} msg/s, bus logging every step ${rate(t).toFixed(0)} msg/s`,
      );
    }
    await ctx.profileStop([
      [bus.child, 'embedded-bus'],
      [plain.child, 'embedded-plain'],
    ]);
    const of = (side: string) => median(rounds.filter((x) => x.side === side).map((x) => x.msgsPerS));
    const cpuMs = (side: string) => round(median(rounds.filter((x) => x.side === side).map((x) => (x.cpuS * 1000) / x.n)), 4);
    return [
      figure({
        name: 'msg/s, 3-step itinerary, embedded box',
        unit: 'msg/s',
        value: of('bus'),
        baseline: of('plain'),
        target: '>= 0.85',
        baselineIs: 'the same JSONata map and rules policy as plain function calls',
        raw: { rounds, warmup: { bus: rate(wb), plain: rate(wp) } },
      }),
      // A promise's cost, measured: "every step is traced in structured logs" at the default level.
      figure({
        name: 'msg/s, embedded box, every step logged (info)',
        unit: 'msg/s',
        value: of('traced'),
        baseline: of('bus'),
        target: null,
        baselineIs: 'the same bus at log level warn (the other embedded rows); three pino lines per message to stdout (/dev/null here)',
        raw: { cpuMsPerMsg: cpuMs('traced') },
      }),
      figure({
        name: 'process CPU per message, embedded box',
        unit: 'ms',
        value: cpuMs('bus'),
        baseline: cpuMs('plain'),
        target: null,
        baselineIs: 'the plain-calls process',
      }),
    ];
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}
