/**
 * The order in which keys were last written, for caches and dedupe sets that
 * forget their oldest entries first. Each write is O(1) and so is each eviction.
 *
 * It exists because the obvious way is slow: deleting the oldest entry of a Map
 * through `map.keys().next()` walks over every slot deleted since the table was
 * last rebuilt, so a Map kept at its cap by first-in-first-out eviction pays
 * thousands of steps per write (measured: about 5 µs per write at 10 000 entries,
 * against under 1 µs here).
 *
 * Usage: call `wrote(key)` on every write and keep the number it returns with the
 * entry; `oldest(isCurrent)` gives the key whose last write is the oldest, skipping
 * writes that a later write of the same key (or a delete) made stale.
 */
export class WriteOrder {
  private keys: string[] = [];
  private seqs: number[] = [];
  private head = 0;
  private seq = 0;

  /** Record a write of `key`; returns the write's number, to keep with the entry. */
  wrote(key: string): number {
    const seq = ++this.seq;
    this.keys.push(key);
    this.seqs.push(seq);
    return seq;
  }

  /**
   * Take the oldest write still current (`isCurrent(key, seq)`: the entry exists and
   * its number is `seq`) and return its key, or undefined when none is left.
   */
  oldest(isCurrent: (key: string, seq: number) => boolean): string | undefined {
    while (this.head < this.keys.length) {
      const key = this.keys[this.head]!;
      const seq = this.seqs[this.head]!;
      this.head++;
      this.compact();
      if (isCurrent(key, seq)) return key;
    }
    return undefined;
  }

  /** Drop the consumed front once it is half the log: amortised O(1) per write. */
  private compact(): void {
    if (this.head >= 1024 && this.head * 2 >= this.keys.length) {
      this.keys = this.keys.slice(this.head);
      this.seqs = this.seqs.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Stale writes (rewritten or deleted keys) stay in the log until they reach its
   * front; a log much longer than `live` entries is rebuilt from the current ones.
   */
  prune(live: number, isCurrent: (key: string, seq: number) => boolean): void {
    const length = this.keys.length - this.head;
    if (length <= Math.max(1024, live * 2)) return;
    const keys: string[] = [];
    const seqs: number[] = [];
    for (let i = this.head; i < this.keys.length; i++) {
      if (isCurrent(this.keys[i]!, this.seqs[i]!)) {
        keys.push(this.keys[i]!);
        seqs.push(this.seqs[i]!);
      }
    }
    this.keys = keys;
    this.seqs = seqs;
    this.head = 0;
  }

  clear(): void {
    this.keys = [];
    this.seqs = [];
    this.head = 0;
  }
}
