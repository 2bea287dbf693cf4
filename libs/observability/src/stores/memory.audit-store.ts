import { jsonCopy, type AuditRecord, type AuditStore, type Page } from '@itinera/core';
import { epochMs } from './message-search';
import { decodePlace, encodePlace } from './zset-page';
import { DEFAULT_AUDIT_RETENTION_MS, DEFAULT_MAX_AUDIT } from './audit-limits';

export interface AuditStoreOptions {
  /** Entries kept at most, the newest (default 100 000). */
  maxEntries?: number;
  /** How long an entry is kept (default 90 days). */
  retentionMs?: number;
}

/** The audit trail in process memory: entries in the order they were recorded, the oldest dropped first. */
export class MemoryAuditStore implements AuditStore {
  private entries: { at: number; entry: AuditRecord }[] = [];
  private readonly max: number;
  private readonly retentionMs: number;

  constructor(opts: AuditStoreOptions = {}) {
    this.max = opts.maxEntries ?? DEFAULT_MAX_AUDIT;
    this.retentionMs = opts.retentionMs ?? DEFAULT_AUDIT_RETENTION_MS;
  }

  async record(entry: AuditRecord): Promise<void> {
    this.entries.push({ at: epochMs(entry.at) || Date.now(), entry: jsonCopy(entry) });
    // Trimmed in halves past the cap, so a full trail costs O(1) per entry on average.
    if (this.entries.length > this.max * 1.5) this.entries = this.entries.slice(-this.max);
  }

  /** Newest first; the cursor is the time and how many of that time came before, as in Redis. */
  async list(q: { limit: number; cursor?: string }): Promise<Page<AuditRecord>> {
    const from = decodePlace(q.cursor);
    const oldest = Date.now() - this.retentionMs;
    const floor = Math.max(0, this.entries.length - this.max);
    const sorted = this.entries.slice(floor).reverse().sort((a, b) => b.at - a.at);
    const items: AuditRecord[] = [];
    let score = NaN;
    let skip = 0;
    for (const e of sorted) {
      if (e.at < oldest) break;
      if (e.at !== score) {
        score = e.at;
        skip = 0;
      }
      const at = { score, skip: skip++ };
      if (from && (at.score > from.score || (at.score === from.score && at.skip < from.skip))) continue;
      if (items.length === q.limit) return { items, nextCursor: encodePlace(at) };
      items.push(jsonCopy(e.entry));
    }
    return { items };
  }

  async close(): Promise<void> {}
}
