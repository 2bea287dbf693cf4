/**
 * The in-process queue of the hand-written baseline: an array and up to `concurrency`
 * handlers in flight, no persistence, no retries (a failure is counted and dropped).
 */
export class WorkQueue<T> {
  failed = 0;
  lastError: unknown;
  private readonly items: T[] = [];
  private head = 0;
  private running = 0;

  constructor(
    private readonly concurrency: number,
    private readonly handler: (item: T) => Promise<void>,
  ) {}

  push(item: T): void {
    this.items.push(item);
    if (this.running < this.concurrency) this.spawn();
  }

  private spawn(): void {
    this.running++;
    void this.loop();
  }

  private async loop(): Promise<void> {
    while (this.head < this.items.length) {
      const item = this.items[this.head];
      this.items[this.head++] = undefined as T;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items.splice(0, this.head);
        this.head = 0;
      }
      try {
        await this.handler(item);
      } catch (err) {
        this.failed++;
        this.lastError = err;
      }
    }
    this.running--;
  }
}
