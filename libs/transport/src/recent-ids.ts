import { WriteOrder } from '@itinera/core';

/**
 * A bounded set that forgets its oldest ids first: dedupe memory that cannot grow
 * without end. Adds and evictions are O(1) (see WriteOrder for why a plain Set is not).
 */
export class RecentIds {
  /** id → number of its last add. */
  private readonly ids = new Map<string, number>();
  private readonly order = new WriteOrder();
  private readonly isCurrent = (id: string, seq: number) => this.ids.get(id) === seq;

  constructor(private readonly capacity: number) {}

  add(id: string): void {
    if (this.capacity <= 0) return;
    this.ids.set(id, this.order.wrote(id));
    while (this.ids.size > this.capacity) {
      const oldest = this.order.oldest(this.isCurrent);
      if (oldest === undefined) break;
      this.ids.delete(oldest);
    }
    this.order.prune(this.ids.size, this.isCurrent);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }
}
