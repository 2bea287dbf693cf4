import { Deque } from './deque';
import { RecentIds } from './recent-ids';

/** One job held by the memory box; `data` is the box's private copy, never handed out. */
export interface MemoryJob {
  id: string;
  queue: string;
  data: unknown;
  orderingKey?: string;
  attempt: number;
}

/** What a queue needs from a consumer to hand it work. */
export interface MemoryWorker {
  hasCapacity(): boolean;
  start(job: MemoryJob): void;
}

/**
 * One named queue of the memory box: the runnable line, the per-key lines that
 * keep ordering keys one at a time, dedupe ids, and the consumers taking work.
 * Dispatch is event driven (publish, finish, retry), never polled.
 */
export class MemoryQueue {
  private readonly runnable = new Deque<MemoryJob>();
  /** A key present here is busy: one of its jobs is runnable, running or waiting to retry. */
  private readonly keyLines = new Map<string, Deque<MemoryJob>>();
  /** Ids waiting, delayed or active. */
  private readonly live = new Set<string>();
  private readonly recent: RecentIds;
  private readonly workers: MemoryWorker[] = [];
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private nextWorker = 0;
  private pumpScheduled = false;
  private disposed = false;

  constructor(
    readonly name: string,
    recentIds: number,
  ) {
    this.recent = new RecentIds(recentIds);
  }

  /** Whether publishing `id` now would duplicate a job the queue holds or finished recently. */
  holds(id: string): boolean {
    return this.live.has(id) || this.recent.has(id);
  }

  add(job: MemoryJob, delayMs = 0): void {
    this.live.add(job.id);
    // A delayed job takes its place in its key's line when its delay ends, as in BullMQ.
    if (delayMs > 0) this.later(delayMs, () => this.admit(job));
    else this.admit(job);
  }

  /** Run `job` again after `delayMs`; its ordering key stays held so later jobs of the key wait. */
  retry(job: MemoryJob, delayMs: number): void {
    const requeue = () => {
      this.runnable.push(job);
      this.wake();
    };
    if (delayMs > 0) this.later(delayMs, requeue);
    else requeue();
  }

  /** The job completed or was dead-lettered: forget it (keeping its id for dedupe) and free its key. */
  finish(job: MemoryJob): void {
    this.live.delete(job.id);
    this.recent.add(job.id);
    if (job.orderingKey === undefined) return;
    const line = this.keyLines.get(job.orderingKey);
    const next = line?.shift();
    if (next) {
      this.runnable.push(next);
      this.wake();
    } else {
      this.keyLines.delete(job.orderingKey);
    }
  }

  /** Jobs ready to run or queued behind their ordering key (for metrics). */
  waiting(): number {
    let n = this.runnable.length;
    for (const line of this.keyLines.values()) n += line.length;
    return n;
  }

  attach(worker: MemoryWorker): void {
    this.workers.push(worker);
    this.wake();
  }

  detach(worker: MemoryWorker): void {
    const i = this.workers.indexOf(worker);
    if (i >= 0) this.workers.splice(i, 1);
  }

  /** Dispatch on the next microtask; many wake-ups in one tick cost one pass. */
  wake(): void {
    if (this.pumpScheduled || this.disposed) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  dispose(): void {
    this.disposed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.runnable.clear();
    this.keyLines.clear();
  }

  private admit(job: MemoryJob): void {
    const key = job.orderingKey;
    if (key !== undefined) {
      const line = this.keyLines.get(key);
      if (line) {
        line.push(job);
        return;
      }
      this.keyLines.set(key, new Deque());
    }
    this.runnable.push(job);
    this.wake();
  }

  private pump(): void {
    while (this.runnable.length > 0 && !this.disposed) {
      const worker = this.pickWorker();
      if (!worker) return;
      worker.start(this.runnable.shift()!);
    }
  }

  /** Round robin over workers with a free slot, so competing consumers share the work. */
  private pickWorker(): MemoryWorker | undefined {
    const n = this.workers.length;
    for (let i = 0; i < n; i++) {
      const index = (this.nextWorker + i) % n;
      const worker = this.workers[index]!;
      if (worker.hasCapacity()) {
        this.nextWorker = (index + 1) % n;
        return worker;
      }
    }
    return undefined;
  }

  private later(delayMs: number, fn: () => void): void {
    if (this.disposed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, delayMs);
    this.timers.add(timer);
  }
}
