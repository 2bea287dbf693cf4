import WebSocket from 'ws';
import { startChild, type Child } from '../lib/children';
import type { BenchContext } from '../lib/context';
import { figure, type Figure } from '../lib/report';
import { round, sleep } from '../lib/stats';

/** Open one duplex session: WebSocket, hello, welcome. */
function openSession(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['itinera.v1'], { perMessageDeflate: false });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('no welcome within 15 s'));
    }, 15_000);
    ws.once('open', () => ws.send('{"type":"hello"}'));
    ws.once('message', (data) => {
      clearTimeout(timer);
      const f = JSON.parse(String(data));
      if (f.type === 'welcome') resolve(ws);
      else reject(new Error(`hello refused: ${String(data)}`));
    });
    ws.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Open up to `n` sessions, `batch` handshakes at a time; stops at the first batch that fails (e.g. out of file descriptors). */
async function openMany(url: string, n: number, batch: number, into: WebSocket[]): Promise<string | undefined> {
  for (let opened = 0; opened < n;) {
    const size = Math.min(batch, n - opened);
    const results = await Promise.allSettled(Array.from({ length: size }, () => openSession(url)));
    for (const r of results) if (r.status === 'fulfilled') into.push(r.value);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) return String((failed as PromiseRejectedResult).reason);
    opened += size;
  }
  return undefined;
}

interface Mem {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/**
 * Figure 7: memory per idle WebSocket duplex session. A bus (embedded box, as
 * `npm start`) in a child process with --expose-gc; the runner opens the
 * sessions (hello / welcome) and leaves them idle. Per session: (after - before)
 * / sessions, both read after a full GC; before already holds a few warm-up
 * sessions, so code loaded on first use is not counted.
 */
export async function sessionFigures(ctx: BenchContext): Promise<Figure[]> {
  const { o } = ctx;
  ctx.log(`sessions: starting a bus (embedded box) and opening ${o.sessions} idle WebSocket sessions`);
  const sockets: WebSocket[] = [];
  let child: Child | undefined;
  try {
    const bus = await startChild('bus (memory)', 'children/bus-node.ts', { env: ctx.busEnv('memory'), nodeFlags: ['--expose-gc'] });
    child = bus.child;
    const url = (bus.info.url as string).replace(/^http/, 'ws') + '/duplex';
    const warm = await openMany(url, 200, 100, sockets);
    if (warm) throw new Error(`warm-up sessions failed: ${warm}`);
    await sleep(300);
    const before = await child.request<Mem>('mem');
    const t0 = Date.now();
    const stoppedBy = await openMany(url, o.sessions, 250, sockets);
    const opened = sockets.length - 200;
    const openMs = Date.now() - t0;
    if (opened < 100) throw new Error(`only ${opened} sessions opened: ${stoppedBy}`);
    await sleep(500);
    const after = await child.request<Mem>('mem');
    const kb = (k: keyof Mem) => round((after[k] - before[k]) / opened / 1024, 2);
    ctx.log(
      `sessions: ${opened} opened in ${openMs} ms; per session rss ${kb('rss')} KB, heap ${kb('heapUsed')} KB${stoppedBy ? `; stopped early: ${stoppedBy}` : ''}`,
    );
    return [
      figure({
        name: `memory per idle WebSocket session (${opened} sessions)`,
        unit: 'KB',
        value: kb('rss'),
        baseline: null,
        target: '<= 20',
        raw: {
          sessions: opened,
          asked: o.sessions,
          stoppedBy: stoppedBy ?? null,
          openMs,
          perSessionKB: { rss: kb('rss'), heapUsed: kb('heapUsed'), external: kb('external'), arrayBuffers: kb('arrayBuffers') },
          beforeMB: { rss: round(before.rss / 2 ** 20, 1), heapUsed: round(before.heapUsed / 2 ** 20, 1) },
          afterMB: { rss: round(after.rss / 2 ** 20, 1), heapUsed: round(after.heapUsed / 2 ** 20, 1) },
        },
      }),
    ];
  } finally {
    for (const s of sockets) s.terminate();
    await child?.stop();
  }
}
