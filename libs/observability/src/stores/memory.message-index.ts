import type { MessageQuery, MessageRecord, MessageStatus, MessageSummary, Page } from '@itinera/core';
import { MESSAGE_STATUSES, badCursor, epochMs, itineraryMatches, splitItinerary } from './message-search';

const STATUS_CODE = new Map<MessageStatus, number>(MESSAGE_STATUSES.map((s, i) => [s, i]));
const FINAL = new Set([STATUS_CODE.get('completed'), STATUS_CODE.get('faulted')]);

/**
 * What GET /messages searches in the memory store: one slot per record in a ring of typed
 * arrays (times, status, interned itinerary) plus its id and correlation id, in put order.
 * Newest first is the ring walked backwards; a cursor is the put number to go on below.
 * The record text stays in the TextRing; this keeps ~100 bytes a record on the heap.
 */
export class MemoryMessageIndex {
  private readonly ids: (string | undefined)[];
  private readonly correlations: string[];
  private readonly itineraries: Int32Array;
  private readonly statuses: Uint8Array;
  private readonly accepted: Float64Array;
  private readonly updated: Float64Array;
  private readonly expires: Float64Array;
  private readonly seqOf = new Map<string, number>();
  private readonly interned = new Map<string, number>();
  private readonly names: string[] = [];
  /** Puts so far: the next put's number. */
  private seq = 0;

  constructor(private readonly capacity: number) {
    this.ids = new Array<string | undefined>(capacity);
    this.correlations = new Array<string>(capacity);
    this.itineraries = new Int32Array(capacity);
    this.statuses = new Uint8Array(capacity);
    this.accepted = new Float64Array(capacity);
    this.updated = new Float64Array(capacity);
    this.expires = new Float64Array(capacity);
  }

  put(r: MessageRecord, expiresAt: number): void {
    const earlier = this.seqOf.get(r.messageId);
    if (earlier !== undefined) this.ids[earlier % this.capacity] = undefined;
    const seq = this.seq++;
    const slot = seq % this.capacity;
    const evicted = this.ids[slot];
    if (evicted !== undefined && this.seqOf.get(evicted) === seq - this.capacity) this.seqOf.delete(evicted);
    this.ids[slot] = r.messageId;
    this.correlations[slot] = r.correlationId;
    this.itineraries[slot] = this.intern(r.itinerary);
    this.statuses[slot] = STATUS_CODE.get(r.status) ?? 0;
    this.accepted[slot] = epochMs(r.acceptedAt);
    this.updated[slot] = epochMs(r.updatedAt);
    this.expires[slot] = expiresAt;
    this.seqOf.set(r.messageId, seq);
  }

  update(messageId: string, status: MessageStatus | undefined, updatedAt: string, expiresAt: number): void {
    const seq = this.seqOf.get(messageId);
    if (seq === undefined) return;
    const slot = seq % this.capacity;
    if (status !== undefined) {
      const code = STATUS_CODE.get(status) ?? 0;
      // A late 'running' never overwrites a final status (as applyPatch).
      if (!(status === 'running' && FINAL.has(this.statuses[slot]))) this.statuses[slot] = code;
    }
    this.updated[slot] = epochMs(updatedAt);
    this.expires[slot] = expiresAt;
  }

  /** `alive`: whether the record text is still kept (the TextRing may have dropped it for bytes). */
  search(q: MessageQuery, alive: (id: string) => boolean): Page<MessageSummary> {
    let from = this.seq - 1;
    if (q.cursor !== undefined) {
      const n = /^m(\d+)$/.exec(q.cursor);
      if (!n) throw badCursor(q.cursor);
      from = Math.min(Number(n[1]), from);
    }
    const wanted = q.itinerary === undefined ? undefined : new Set(this.names.flatMap((k, i) => (itineraryMatches(k, q.itinerary!) ? [i] : [])));
    const status = q.status === undefined ? -1 : (STATUS_CODE.get(q.status) ?? -2);
    const now = Date.now();
    const lowest = Math.max(0, this.seq - this.capacity);
    const items: MessageSummary[] = [];
    for (let seq = from; seq >= lowest; seq--) {
      const slot = seq % this.capacity;
      const id = this.ids[slot];
      if (id === undefined || this.expires[slot]! <= now) continue;
      if (q.id !== undefined && id !== q.id) continue;
      if (q.correlationId !== undefined && this.correlations[slot] !== q.correlationId) continue;
      if (wanted && !wanted.has(this.itineraries[slot]!)) continue;
      if (status !== -1 && this.statuses[slot] !== status) continue;
      const at = this.accepted[slot]!;
      if ((q.since !== undefined && at < q.since) || (q.until !== undefined && at >= q.until)) continue;
      if (!alive(id)) continue;
      if (items.length === q.limit) return { items, nextCursor: `m${seq}` };
      items.push(this.summary(slot, id));
    }
    return { items };
  }

  private summary(slot: number, id: string): MessageSummary {
    const { name, version } = splitItinerary(this.names[this.itineraries[slot]!]!);
    return {
      id,
      correlationId: this.correlations[slot]!,
      itinerary: name,
      version,
      status: MESSAGE_STATUSES[this.statuses[slot]!]!,
      acceptedAt: new Date(this.accepted[slot]!).toISOString(),
      updatedAt: new Date(this.updated[slot]!).toISOString(),
    };
  }

  private intern(key: string): number {
    let i = this.interned.get(key);
    if (i === undefined) {
      i = this.names.push(key) - 1;
      this.interned.set(key, i);
    }
    return i;
  }
}
