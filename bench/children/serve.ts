/**
 * The child side of the benchmark's IPC protocol: `ready` once set up, then one
 * `reply` per `request`. `exit` runs the cleanup and exits with code 0 (so
 * --cpu-prof writes its profile). A closed channel (the runner died) exits too.
 */
export type Handlers = Record<string, (args: any) => Promise<unknown> | unknown>;

export function serve(setup: () => Promise<{ info: Record<string, unknown>; handlers: Handlers; cleanup?: () => Promise<void> }>): void {
  if (!process.send) throw new Error('run this file through the bench runner (it needs an IPC channel)');
  const send = (m: unknown) => {
    try {
      process.send?.(m);
    } catch {
      /* channel closed: the runner is gone */
    }
  };
  let cleanup: (() => Promise<void>) | undefined;
  let exiting = false;
  const exit = async (code: number) => {
    if (exiting) return;
    exiting = true;
    const force = setTimeout(() => process.exit(code), 4000);
    force.unref();
    try {
      await cleanup?.();
    } catch {
      /* exiting anyway */
    }
    process.exit(code);
  };
  process.on('disconnect', () => void exit(0));
  process.on('SIGTERM', () => void exit(0));
  process.on('SIGINT', () => void exit(130));

  setup()
    .then(({ info, handlers, cleanup: c }) => {
      cleanup = c;
      process.on('message', async (m: any) => {
        if (m?.type !== 'request') return;
        if (m.cmd === 'exit') return void exit(0);
        const h = handlers[m.cmd];
        if (!h) return send({ type: 'reply', id: m.id, cmd: m.cmd, ok: false, error: `unknown command ${m.cmd}` });
        try {
          const value = await h(m.args ?? {});
          send({ type: 'reply', id: m.id, cmd: m.cmd, ok: true, value });
        } catch (err) {
          send({ type: 'reply', id: m.id, cmd: m.cmd, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
        }
      });
      send({ type: 'ready', info: { pid: process.pid, ...info } });
    })
    .catch((err) => {
      send({ type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      void exit(1);
    });
}

/** Run `n` tasks with `window` of them in flight; resolves when all are done. */
export async function lanes(n: number, window: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const lane = async () => {
    while (next < n && failed === undefined) {
      const i = next++;
      try {
        await task(i);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, n) }, lane));
  if (failed !== undefined) throw failed;
}

/** A body whose JSON is about `bytes` long: an order plus a padding payload. */
export function makeBody(i: number, bytes: number): Record<string, unknown> {
  const base = { id: `o-${i}`, productId: 1000 + (i % 97), amount: i % 3 === 0 ? 150 : 5, customerId: 42 + (i % 11), payload: '' };
  const pad = Math.max(0, bytes - JSON.stringify(base).length);
  base.payload = 'x'.repeat(pad);
  return base;
}

export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
