import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
export const BENCH_DIR = resolve(__dirname, '..');

export interface ChildOptions {
  env?: Record<string, string>;
  /** Extra node flags (e.g. --expose-gc, --cpu-prof). */
  nodeFlags?: string[];
  /** How long the child may take to say it is ready (default 60 s). */
  readyTimeoutMs?: number;
  /** Send the child's stdout to /dev/null (a bus logging every step), instead of keeping its tail for errors. */
  discardStdout?: boolean;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** The runner's environment without bus settings: a child gets only the ones its figure sets. */
function inheritedEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('ITINERA_') || k.startsWith('BENCH_') || k === 'REDIS_URL' || k === 'PORT' || k === 'HOST') delete env[k];
  return env;
}

/** Every child this run started: stopped on exit, on errors and on Ctrl-C. */
const live = new Set<Child>();

/**
 * A benchmark child process (a TypeScript file run through tsx) with a small
 * request/reply protocol over the IPC channel. Children exit by themselves when
 * the channel closes, so a runner that dies takes them along.
 */
export class Child {
  readonly proc: ChildProcess;
  readonly ready: Promise<Record<string, unknown>>;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private log = '';
  private exited = false;
  private readonly exitedPromise: Promise<void>;

  constructor(
    readonly name: string,
    script: string,
    opts: ChildOptions = {},
  ) {
    this.proc = fork(resolve(BENCH_DIR, script), [], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx', ...(opts.nodeFlags ?? [])],
      env: { ...inheritedEnv(), ...(opts.env ?? {}) },
      stdio: ['ignore', opts.discardStdout ? 'ignore' : 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    live.add(this);
    const keep = (d: Buffer) => {
      this.log = (this.log + d.toString()).slice(-8000);
    };
    this.proc.stdout?.on('data', keep);
    this.proc.stderr?.on('data', keep);
    this.exitedPromise = new Promise((res) => {
      this.proc.once('exit', (code, signal) => {
        this.exited = true;
        live.delete(this);
        const err = new Error(`${this.name} exited (${signal ?? code}) ${this.tail()}`);
        for (const p of this.pending.values()) {
          clearTimeout(p.timer);
          p.reject(err);
        }
        this.pending.clear();
        res();
      });
    });
    this.ready = new Promise((res, rej) => {
      const timer = setTimeout(
        () => rej(new Error(`${this.name} not ready within ${opts.readyTimeoutMs ?? 60_000} ms ${this.tail()}`)),
        opts.readyTimeoutMs ?? 60_000,
      );
      this.proc.on('message', (m: any) => {
        if (m?.type === 'ready') {
          clearTimeout(timer);
          res(m.info ?? {});
        } else if (m?.type === 'failed') {
          clearTimeout(timer);
          rej(new Error(`${this.name} failed to start: ${m.error} ${this.tail()}`));
        } else if (m?.type === 'reply') {
          const p = this.pending.get(m.id);
          if (!p) return;
          this.pending.delete(m.id);
          clearTimeout(p.timer);
          if (m.ok) p.resolve(m.value);
          else p.reject(new Error(`${this.name} ${m.cmd}: ${m.error}`));
        }
      });
      void this.exitedPromise.then(() => {
        clearTimeout(timer);
        rej(new Error(`${this.name} exited before it was ready ${this.tail()}`));
      });
    });
    this.ready.catch(() => undefined);
  }

  /** Ask the child to run a command; rejects on timeout or if the child dies. */
  request<T = any>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 120_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.name} has exited ${this.tail()}`));
    const id = ++this.seq;
    return new Promise<T>((res, rej) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        rej(new Error(`${this.name} ${cmd}: no answer within ${timeoutMs} ms ${this.tail()}`));
      }, timeoutMs);
      this.pending.set(id, { resolve: res as (v: unknown) => void, reject: rej, timer });
      this.proc.send({ type: 'request', id, cmd, args });
    });
  }

  /** Graceful stop (lets --cpu-prof write its profile), then SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.exited) return;
    try {
      this.proc.send({ type: 'request', id: 0, cmd: 'exit', args: {} });
    } catch {
      this.proc.kill('SIGTERM');
    }
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exitedPromise;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.exited) this.proc.kill('SIGKILL');
  }

  tail(): string {
    const t = this.log.trim();
    return t ? `\n--- ${this.name} output (tail) ---\n${t.slice(-2000)}\n---` : '';
  }
}

/** Start a child and wait until it is ready (a child that fails is killed). */
export async function startChild(name: string, script: string, opts: ChildOptions = {}): Promise<{ child: Child; info: Record<string, any> }> {
  const child = new Child(name, script, opts);
  try {
    const info = await child.ready;
    return { child, info };
  } catch (err) {
    child.kill();
    throw err;
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop(3000)));
}

export function killAllNow(): void {
  for (const c of live) c.kill();
}
