import type { MessageQuery, RedisClient, MessageRecord, MessageSummary, Page } from '@itinera/core';
import { epochMs, recordMatches, splitItinerary, summarizeMessage } from './message-search';
import { decodePlace, encodePlace, walkNewestFirst } from './zset-page';

/**
 * The secondary indexes of GET /messages: one sorted set each, message ids scored by
 * acceptance time. Status has no index: a status changes several times in a message's
 * life, and moving the id between sets cost more Redis commands than the message's own
 * record (the BullMQ hot path). A status filter reads through `all` or the itinerary's
 * index within the scan budget instead, answering a cursor to go on.
 */
export type MessageIndexKind = 'all' | 'itinerary' | 'correlation';

/** Index entries scanned per search at most: a very selective filter answers a short page and a cursor to go on. */
const SCAN_BUDGET = 5000;
/** One write in this many trims the index it writes to. */
const TRIM_EVERY = 32;

export interface MessageIndexOptions {
  /** The one place index keys are named (each is its own key, so each can get its own hash tag). */
  key(kind: MessageIndexKind, value?: string): string;
  /** Record key of a message id. */
  recordKey(id: string): string;
  /** Read many records (MGET on one Redis; on a cluster each record is in its own slot). */
  mget(client: RedisClient, keys: string[]): Promise<(string | null)[]>;
  ttlMs: number;
  /** Entries an index keeps at most (the newest). */
  maxEntries: number;
  /** Read a record as `get` does (text → record). */
  parse(raw: string | null): MessageRecord | undefined;
}

/**
 * Bounded secondary indexes kept beside the records: every write to an index trims it
 * by time (the records' retention) and count, and sets the index's own expiry, so an
 * index of an itinerary or correlation no longer used goes away with its records. Each
 * command names one key (sent together, never a transaction across keys): a missed write
 * leaves a stale entry, which a search drops when it finds no record behind it.
 */
export class RedisMessageIndex {
  constructor(private readonly o: MessageIndexOptions) {}

  /**
   * Index a record as put: commands sent right after its SET on the same connection (one
   * round trip; separate commands, as ioredis sends them with less work than a pipeline).
   */
  onPut(client: RedisClient, r: MessageRecord): Promise<unknown>[] {
    const out: Promise<unknown>[] = [];
    const score = epochMs(r.acceptedAt) || Date.now();
    // Trimming every index on every put would cost more than the put itself: one put in
    // TRIM_EVERY trims (the indexes overshoot their bounds by that many entries at most, on average).
    const trim = Math.random() * TRIM_EVERY < 1;
    this.add(client, out, this.o.key('all'), score, r.messageId, trim);
    this.add(client, out, this.o.key('itinerary', splitItinerary(r.itinerary).name), score, r.messageId, trim);
    // Most messages are their own correlation (its id is the message id), found by the
    // record itself; only a message correlated to another gets an entry. That index is
    // small and short-lived: it expires with its newest record.
    if (r.correlationId !== r.messageId) {
      const byCorrelation = this.o.key('correlation', r.correlationId);
      out.push(client.zadd(byCorrelation, score, r.messageId), client.pexpire(byCorrelation, this.o.ttlMs));
    }
    return out;
  }

  async search(client: RedisClient, q: MessageQuery): Promise<Page<MessageSummary>> {
    if (q.id !== undefined) {
      const r = this.o.parse(await client.get(this.o.recordKey(q.id)));
      return { items: r && recordMatches(r, q) && !q.cursor ? [summarizeMessage(r)] : [] };
    }
    const key = this.pick(q);
    const items: MessageSummary[] = [];
    // The message that opened a correlation (its id is the correlation id) has no entry in
    // the correlation's index: it comes first in time, so it ends the walk.
    const opener = q.correlationId !== undefined ? this.o.parse(await client.get(this.o.recordKey(q.correlationId))) : undefined;
    let scanned = 0;
    const batch = Math.min(500, Math.max(50, q.limit * 2));
    for await (const entries of walkNewestFirst(client, key, { from: decodePlace(q.cursor), since: q.since, until: q.until, batch })) {
      const raws = await this.o.mget(client, entries.map((e) => this.o.recordKey(e.member)));
      // An id whose record expired is skipped, not removed here: removing it mid-walk would
      // shift the places cursors count within a score. Trims and the index's expiry drop it.
      for (let i = 0; i < entries.length; i++) {
        const r = this.o.parse(raws[i] ?? null);
        if (!r || !recordMatches(r, q)) continue;
        if (items.length === q.limit) return { items, nextCursor: encodePlace(entries[i]!.at) };
        items.push(summarizeMessage(r));
      }
      scanned += entries.length;
      if (scanned >= SCAN_BUDGET && entries.length) {
        const last = entries[entries.length - 1]!.at;
        return { items, nextCursor: encodePlace({ score: last.score, skip: last.skip + 1 }) };
      }
    }
    if (opener && recordMatches(opener, q) && !items.some((i) => i.id === opener.messageId)) {
      // A full page leaves the opener to the next one: a cursor below every entry's score.
      if (items.length === q.limit) return { items, nextCursor: encodePlace({ score: 0, skip: 0 }) };
      items.push(summarizeMessage(opener));
    }
    return { items };
  }

  /** The narrowest index the query names. */
  private pick(q: MessageQuery): string {
    if (q.correlationId !== undefined) return this.o.key('correlation', q.correlationId);
    return q.itinerary !== undefined ? this.o.key('itinerary', splitItinerary(q.itinerary).name) : this.o.key('all');
  }

  /** Add an entry; `trim`: also drop what is past the records' retention and the count bound, and move the index's expiry. */
  private add(client: RedisClient, out: Promise<unknown>[], key: string, score: number, id: string, trim: boolean): void {
    out.push(client.zadd(key, score, id));
    if (!trim) return;
    out.push(
      client.zremrangebyscore(key, '-inf', Date.now() - this.o.ttlMs),
      client.zremrangebyrank(key, 0, -(this.o.maxEntries + 1)),
      client.pexpire(key, this.o.ttlMs),
    );
  }
}
