/**
 * Text entries kept off the JavaScript heap: a ring of bytes holding each entry as
 * one or more segments (a first one, then appended ones), and an open-addressing
 * index of 32-bit key hashes in typed arrays. The garbage collector sees four typed
 * arrays and a buffer, never the entries.
 *
 * Why: an in-memory record store that keeps its last 10 000 records as strings in a
 * Map spends more on the garbage collector than on writing them (every record
 * survives the young generation and is copied into the old one, and the old one
 * fills and is marked again and again): measured on the HTTP on-ramp, about 6 µs of
 * a 28 µs request, against under 2 µs here.
 *
 * Bounded two ways: at most `maxEntries` keys and `bytes` of segments. The oldest
 * entries (by their first segment) go first; an entry whose first segment is
 * overwritten goes whole, so what `get` answers is always complete.
 */
export class TextRing {
  private buf: Buffer;
  /** Logical write position: bytes ever written (a segment's logical offset never repeats). */
  private head = 0;
  /** Logical position of the oldest segment kept. */
  private tail = 0;
  private count = 0;
  private readonly mask: number;
  /** Slot state: 0 empty, else the key's hash with the low bit set (never 0). */
  private readonly hashes: Int32Array;
  private readonly first: Float64Array;
  private readonly last: Float64Array;
  private readonly expires: Float64Array;

  /**
   * @param maxEntries keys kept at most
   * @param maxBytes bytes of segments kept at most; the ring starts at 1 MB (or less) and
   * doubles up to this as it fills, so memory follows use
   */
  constructor(
    readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {
    if (!(maxEntries >= 1)) throw new RangeError('maxEntries must be at least 1');
    let capacity = 16;
    while (capacity < maxEntries * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.hashes = new Int32Array(capacity);
    this.first = new Float64Array(capacity);
    this.last = new Float64Array(capacity);
    this.expires = new Float64Array(capacity);
    this.buf = Buffer.allocUnsafeSlow(align8(Math.max(64 * 1024, Math.min(maxBytes, 1024 * 1024))));
  }

  get size(): number {
    return this.count;
  }

  /** Store `text` as the whole entry of `key` (replacing any), kept until `expiresAt` (ms since the epoch). */
  set(key: string, text: string, expiresAt: number): void {
    key = wellFormed(key);
    const h = hashOf(key);
    const found = this.find(key, h);
    if (found >= 0) this.removeSlot(found);
    while (this.count >= this.maxEntries) this.dropOldest();
    const at = this.write(h, key, text, -1);
    const slot = this.freeSlot(h);
    this.hashes[slot] = h;
    this.first[slot] = at;
    this.last[slot] = at;
    this.expires[slot] = expiresAt;
    this.count++;
  }

  /** Add a segment to the entry of `key` and move its expiry; false (and nothing written) when there is none. */
  append(key: string, text: string, expiresAt: number, now = Date.now()): boolean {
    key = wellFormed(key);
    const h = hashOf(key);
    const slot = this.live(key, h, now);
    if (slot < 0) return false;
    const at = this.write(h, key, text, slot);
    // Writing may have dropped old entries and moved slots: look the key up again.
    const again = this.find(key, h);
    if (again < 0) return false;
    this.last[again] = at;
    this.expires[again] = expiresAt;
    return true;
  }

  /** The segments of `key`'s entry, first to last, or undefined when it has none (or it expired). */
  get(key: string, now = Date.now()): string[] | undefined {
    key = wellFormed(key);
    const slot = this.live(key, hashOf(key), now);
    if (slot < 0) return undefined;
    const out: string[] = [];
    for (let at = this.last[slot]!; at >= 0;) {
      // Every segment of a live entry lies between the tail and the head; anything else is a broken chain.
      if (at < this.tail || at >= this.head) return undefined;
      const p = this.phys(at);
      const keyLen = this.buf.readUInt16LE(p + 16);
      const textAt = p + HEADER + keyLen;
      out.push(this.buf.toString('utf8', textAt, textAt + this.buf.readUInt32LE(p + 18)));
      at = this.buf.readDoubleLE(p + 8);
    }
    return out.reverse();
  }

  /** Whether `key` has a live entry (no text read). */
  has(key: string, now = Date.now()): boolean {
    key = wellFormed(key);
    return this.live(key, hashOf(key), now) >= 0;
  }

  delete(key: string): void {
    key = wellFormed(key);
    const slot = this.find(key, hashOf(key));
    if (slot >= 0) this.removeSlot(slot);
  }

  clear(): void {
    this.hashes.fill(0);
    this.count = 0;
    this.head = 0;
    this.tail = 0;
  }

  // --- the ring --------------------------------------------------------------------

  /**
   * Write one segment; returns its logical offset. Drops the oldest entries to make room.
   * `chain` is the slot of the entry it extends (-1: a first segment); that entry's last
   * offset is read after any growth, since growing shifts every logical offset.
   */
  private write(h: number, key: string, text: string, chain: number): number {
    const keyLen = Buffer.byteLength(key);
    if (keyLen > 0xffff) throw new RangeError('key too long');
    const textLen = Buffer.byteLength(text);
    // Lengths are multiples of 8, so whatever is left before the physical end is 0 or fits a filler header.
    const len = (HEADER + keyLen + textLen + 7) & ~7;
    // Room to grow into first (a segment much larger than the ring also grows it, past maxBytes if it must).
    while (len > this.buf.length / 4 || (this.buf.length < this.maxBytes && this.head - this.tail + 2 * len > this.buf.length)) {
      this.grow(len > this.buf.length / 4 ? len * 4 : Math.min(this.maxBytes, this.buf.length * 2));
    }
    const prev = chain < 0 ? -1 : this.last[chain]!;
    // A segment never wraps: when it does not fit before the physical end, a filler takes the rest.
    const p = this.phys(this.head);
    if (p + len > this.buf.length) {
      const filler = this.buf.length - p;
      this.reserve(filler);
      this.buf.writeUInt32LE(filler, p);
      this.buf.writeInt32LE(0, p + 4);
      this.head += filler;
    }
    this.reserve(len);
    const at = this.head;
    const q = this.phys(at);
    this.buf.writeUInt32LE(len, q);
    this.buf.writeInt32LE(h, q + 4);
    this.buf.writeDoubleLE(prev, q + 8);
    this.buf.writeUInt16LE(keyLen, q + 16);
    this.buf.writeUInt32LE(textLen, q + 18);
    this.buf.write(key, q + HEADER, 'utf8');
    this.buf.write(text, q + HEADER + keyLen, 'utf8');
    this.head += len;
    return at;
  }

  /** Make `n` bytes free at the head by dropping segments at the tail. */
  private reserve(n: number): void {
    while (this.head + n - this.tail > this.buf.length) this.dropSegment();
  }

  /** Drop the segment at the tail; when it is an entry's first one, the entry goes. */
  private dropSegment(): void {
    const p = this.phys(this.tail);
    const len = this.buf.readUInt32LE(p);
    const h = this.buf.readInt32LE(p + 4);
    if (h !== 0 && this.buf.readDoubleLE(p + 8) < 0) {
      // The index slot whose entry starts here, if it still does.
      for (let i = h & this.mask; this.hashes[i] !== 0; i = (i + 1) & this.mask) {
        if (this.hashes[i] === h && this.first[i] === this.tail) {
          this.removeSlot(i);
          break;
        }
      }
    }
    this.tail += len;
  }

  /** Drop segments until one entry went (the oldest by its first segment). */
  private dropOldest(): void {
    const before = this.count;
    while (this.count === before && this.tail < this.head) this.dropSegment();
  }

  private phys(logical: number): number {
    return logical % this.buf.length;
  }

  /** A bigger ring for a segment that would not fit well: copy what is kept, in order. */
  private grow(bytes: number): void {
    const next = Buffer.allocUnsafeSlow(align8(Math.max(bytes, this.buf.length + 8)));
    const keep = this.head - this.tail;
    const from = this.phys(this.tail);
    const firstPart = Math.min(keep, this.buf.length - from);
    this.buf.copy(next, 0, from, from + firstPart);
    if (keep > firstPart) this.buf.copy(next, firstPart, 0, keep - firstPart);
    // Logical offsets stay; the new ring maps them with a shift so tail lands at 0.
    const shift = this.tail;
    for (let i = 0; i <= this.mask; i++) {
      if (this.hashes[i] === 0) continue;
      this.first[i] = this.first[i]! - shift;
      this.last[i] = this.last[i]! - shift;
    }
    // Segments carry `prev` offsets too: rewrite them.
    for (let at = 0; at < keep;) {
      const len = next.readUInt32LE(at);
      if (next.readInt32LE(at + 4) !== 0) {
        const prev = next.readDoubleLE(at + 8);
        if (prev >= 0) next.writeDoubleLE(prev - shift, at + 8);
      }
      at += len;
    }
    this.buf = next;
    this.head = keep;
    this.tail = 0;
  }

  // --- the index ------------------------------------------------------------------

  /** The slot of `key` when it has a live entry; an expired one is removed. */
  private live(key: string, h: number, now: number): number {
    const slot = this.find(key, h);
    if (slot < 0) return -1;
    if (this.expires[slot]! <= now) {
      this.removeSlot(slot);
      return -1;
    }
    return slot;
  }

  private find(key: string, h: number): number {
    for (let i = h & this.mask; this.hashes[i] !== 0; i = (i + 1) & this.mask) {
      if (this.hashes[i] === h && this.keyAt(this.first[i]!) === key) return i;
    }
    return -1;
  }

  private keyAt(at: number): string {
    const p = this.phys(at);
    return this.buf.toString('utf8', p + HEADER, p + HEADER + this.buf.readUInt16LE(p + 16));
  }

  private freeSlot(h: number): number {
    let i = h & this.mask;
    while (this.hashes[i] !== 0) i = (i + 1) & this.mask;
    return i;
  }

  /** Linear probing's deletion: shift later members of the cluster back, no tombstones. */
  private removeSlot(slot: number): void {
    this.count--;
    let hole = slot;
    for (let i = (slot + 1) & this.mask; this.hashes[i] !== 0; i = (i + 1) & this.mask) {
      const home = this.hashes[i]! & this.mask;
      // Move i into the hole when its home is not in (hole, i] (cyclically).
      const between = hole <= i ? home > hole && home <= i : home > hole || home <= i;
      if (between) continue;
      this.hashes[hole] = this.hashes[i]!;
      this.first[hole] = this.first[i]!;
      this.last[hole] = this.last[i]!;
      this.expires[hole] = this.expires[i]!;
      hole = i;
    }
    this.hashes[hole] = 0;
  }
}

/**
 * Segment header (24 bytes): u32 length of the segment (a multiple of 8), i32 key hash
 * (0: a filler up to the physical end), f64 logical offset of the previous segment of the
 * entry (-1: the first), u16 key bytes, u32 text bytes; then the key and the text.
 */
const HEADER = 24;

/** Keys are stored as UTF-8, where a lone surrogate becomes U+FFFD: do the same first, so a key finds itself. */
function wellFormed(key: string): string {
  const k = key as string & { isWellFormed(): boolean; toWellFormed(): string };
  return k.isWellFormed() ? key : k.toWellFormed();
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** FNV-1a over the UTF-16 code units, low bit set so that 0 means an empty slot. */
export function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return h | 1;
}
