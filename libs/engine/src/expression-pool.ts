import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FailureFacts } from './expression-compile';
import type { ExpressionLimits } from './expression-guards';

export interface PoolOptions {
  /** Evaluation threads. */
  size: number;
  /** Heap limit of each thread (`resourceLimits.maxOldGenerationSizeMb`). */
  memoryMb: number;
  limits: ExpressionLimits;
}

/** How an isolated evaluation ended. */
export type PoolOutcome =
  | { ok: true; value: unknown }
  | { ok: false; facts: FailureFacts }
  /** The thread was terminated: it overran its time (one long native call) or its heap, or died. */
  | { ok: false; killed: 'timeout' | 'memory' | 'exit'; detail: string };

interface Job {
  source: string;
  input: unknown;
  bindings?: Record<string, unknown>;
  resolve(outcome: PoolOutcome): void;
}

interface Slot {
  worker: Worker;
  /** Jobs go to a thread once it has loaded (its start-up does not count against the time limit). */
  ready: boolean;
  job?: Job & { id: number; timer: NodeJS.Timeout };
  lastError?: Error;
}

/** What a thread runs: a file path, or code to `eval`. */
interface WorkerSource {
  code: string;
  eval: boolean;
}

let source: Promise<WorkerSource> | undefined;

/**
 * The worker's code. A build (`npm run build`) compiled it beside this file, so the
 * thread loads that file; running from TypeScript sources (tsx, tests) there is no
 * JavaScript file, so it is bundled once per process with esbuild, a dev dependency.
 */
function workerSource(): Promise<WorkerSource> {
  const built = join(__dirname, 'expression-worker.js');
  source ??= existsSync(built)
    ? Promise.resolve({ code: built, eval: false })
    : !__filename.endsWith('.ts')
      ? Promise.reject(new Error(`${built} is missing: this build is incomplete, run npm run build`))
      : import('esbuild').then(async ({ build }) => {
          const out = await build({
            entryPoints: [join(__dirname, 'expression-worker.ts')],
            bundle: true,
            platform: 'node',
            format: 'cjs',
            target: 'node20',
            write: false,
            logLevel: 'silent',
          });
          return { code: out.outputFiles[0]!.text, eval: true };
        });
  return source;
}

/**
 * A pool of worker threads that evaluate JSONata away from the event loop, one
 * evaluation per thread at a time. A thread that overruns the time limit (plus a
 * grace for jsonata's own timeout to answer first) or its heap is terminated and
 * replaced; only its own evaluation fails. Threads are unref'd: they never keep
 * the process alive.
 */
export class ExpressionPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Job[] = [];
  private nextId = 1;
  private closed = false;
  /** Threads terminated so far (timeouts, heap overruns, deaths). */
  killed = 0;

  constructor(private readonly opts: PoolOptions) {}

  run(source: string, input: unknown, bindings?: Record<string, unknown>): Promise<PoolOutcome> {
    return new Promise((resolve) => {
      this.waiting.push({ source, input, bindings, resolve });
      void this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.waiting.splice(0)) job.resolve({ ok: false, killed: 'exit', detail: 'the evaluation pool closed' });
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private async dispatch(): Promise<void> {
    let code: WorkerSource;
    try {
      code = await workerSource();
    } catch (err) {
      for (const job of this.waiting.splice(0))
        job.resolve({ ok: false, killed: 'exit', detail: `no evaluation thread could start (${(err as Error).message})` });
      return;
    }
    // From here on synchronous: concurrent dispatches cannot both take a slot or over-spawn.
    while (!this.closed && this.waiting.length > 0) {
      const slot = this.slots.find((s) => s.ready && !s.job);
      if (!slot) {
        if (this.slots.length < this.opts.size) this.spawn(code);
        return;
      }
      this.start(slot, this.waiting.shift()!);
    }
  }

  private start(slot: Slot, job: Job): void {
    const id = this.nextId++;
    const grace = Math.max(100, this.opts.limits.timeoutMs / 4);
    const timer = setTimeout(() => this.kill(slot, `ran longer than ${this.opts.limits.timeoutMs} ms`), this.opts.limits.timeoutMs + grace);
    slot.job = { ...job, id, timer };
    try {
      slot.worker.postMessage({ id, source: job.source, input: job.input, bindings: job.bindings });
    } catch (err) {
      this.finish(slot, { ok: false, facts: { message: `its input cannot be handed to an evaluation thread (${(err as Error).message})` } });
    }
  }

  private spawn(code: WorkerSource): Slot {
    const worker = new Worker(code.code, {
      eval: code.eval,
      workerData: { limits: this.opts.limits },
      resourceLimits: { maxOldGenerationSizeMb: this.opts.memoryMb, maxYoungGenerationSizeMb: Math.min(32, Math.max(4, this.opts.memoryMb / 4)) },
    });
    worker.unref();
    const slot: Slot = { worker, ready: false };
    worker.on('message', (m: { id: number; ok: boolean; value?: unknown; facts?: FailureFacts; ready?: boolean }) => {
      if (m.ready) {
        slot.ready = true;
        void this.dispatch();
        return;
      }
      if (slot.job?.id !== m.id) return;
      this.finish(slot, m.ok ? { ok: true, value: m.value } : { ok: false, facts: m.facts! });
    });
    worker.on('error', (err) => (slot.lastError = err));
    worker.on('exit', () => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      if (slot.job) {
        const oom = (slot.lastError as NodeJS.ErrnoException | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
        this.killed++;
        this.finish(
          slot,
          oom
            ? { ok: false, killed: 'memory', detail: `used more than the ${this.opts.memoryMb} MB heap of its evaluation thread` }
            : { ok: false, killed: 'exit', detail: `its evaluation thread died (${slot.lastError?.message ?? 'exited'})` },
        );
      }
      void this.dispatch();
    });
    this.slots.push(slot);
    return slot;
  }

  private kill(slot: Slot, detail: string): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    this.killed++;
    this.finish(slot, { ok: false, killed: 'timeout', detail });
    void slot.worker.terminate();
  }

  private finish(slot: Slot, outcome: PoolOutcome): void {
    const job = slot.job;
    if (!job) return;
    clearTimeout(job.timer);
    slot.job = undefined;
    job.resolve(outcome);
    void this.dispatch();
  }
}
