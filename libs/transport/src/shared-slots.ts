import { Deque } from './deque';

/** A counting semaphore: the shards of one consumer share its concurrency through it. */
export class SharedSlots {
  private used = 0;
  private readonly waiting = new Deque<() => void>();

  constructor(private readonly size: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.used >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.used++;
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter, so a newcomer cannot take it in between.
      const next = this.waiting.shift();
      if (next) next();
      else this.used--;
    }
  }
}
