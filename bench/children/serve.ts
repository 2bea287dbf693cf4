/**
 * The child side of the benchmark's IPC protocol: `ready` once set up, then one
 * `reply` per `request`. `exit` runs the cleanup and exits with code 0 (so
 * the process ends cleanly). A closed channel (the runner died) exits too.
 * `profile-start` / `profile-stop` record a CPU profile of just the measured
 * runs (start-up and warm-up left out) into a .cpuprofile file.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

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
    .then(({ info, handlers: own, cleanup: c }) => {
      cleanup = c;
      const handlers: Handlers = { ...profiler(), ...own };
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

/** CPU profiling on request, through the inspector (no --cpu-prof: that would include start-up). */
function profiler(): Handlers {
  let session: Session | undefined;
  const post = (method: string, params?: object) =>
    new Promise<any>((resolve, reject) => session!.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  return {
    'profile-start': async () => {
      session = new Session();
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.start');
    },
    'profile-stop': async (a: { file: string }) => {
      if (!session) throw new Error('profile-stop without profile-start');
      const { profile } = await post('Profiler.stop');
      writeFileSync(a.file, JSON.stringify(profile));
      session.disconnect();
      session = undefined;
      return a.file;
    },
  };
}
