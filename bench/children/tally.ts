/** A counter that wakes waiters when it reaches their target (no polling). */
export class Tally {
  value = 0;
  private waiters: { target: number; resolve: () => void }[] = [];

  inc(by = 1): void {
    this.value += by;
    if (this.waiters.length === 0) return;
    this.waiters = this.waiters.filter((w) => (this.value >= w.target ? (w.resolve(), false) : true));
  }

  reach(target: number, timeoutMs: number, what: string): Promise<void> {
    if (this.value >= target) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out waiting for ${what}: ${this.value} of ${target}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push({ target, resolve: done });
    });
  }
}
