/**
 * The bulkhead of one endpoint: `capacity` calls at once, up to `queue` waiting in
 * order, each waiting at most `waitMs`. cockatiel's bulkhead cannot time a waiter
 * out (an aborted waiter keeps its place until a slot frees), and the time bound is
 * what keeps a stalled endpoint from holding worker slots, so this one is our own.
 *
 * Once a waiter has given up, the endpoint counts as stalled until a call ends: new
 * calls are then refused at once instead of each waiting out `waitMs`.
 */
export class EndpointSlots {
  private active = 0;
  private readonly waiters: Waiter[] = [];
  private stalled = false;

  constructor(
    readonly capacity: number,
    readonly queue: number,
    readonly waitMs: number,
  ) {}

  get inFlight(): number {
    return this.active;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Take a slot: at once when one is free, else after waiting in the queue.
   * Resolves false when refused (queue full, stalled, waited too long, or `signal` aborted).
   */
  acquire(signal?: AbortSignal): Promise<boolean> | boolean {
    if (this.active < this.capacity && this.waiters.length === 0) {
      this.active++;
      return true;
    }
    if (this.stalled || this.waiters.length >= this.queue || signal?.aborted) return false;
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        grant: () => {
          done();
          resolve(true);
        },
        timer: setTimeout(() => {
          this.stalled = true;
          give();
        }, this.waitMs),
      };
      const give = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        done();
        resolve(false);
      };
      const done = () => {
        clearTimeout(waiter.timer);
        signal?.removeEventListener('abort', give);
      };
      signal?.addEventListener('abort', give, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Give a slot back: the first waiter gets it. */
  release(): void {
    this.stalled = false;
    const next = this.waiters.shift();
    if (next) next.grant();
    else this.active--;
  }
}

interface Waiter {
  grant(): void;
  timer: NodeJS.Timeout;
}
