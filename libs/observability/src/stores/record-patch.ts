import { isoNow, type MessageRecord, type TraceEntry } from '@itinera/core';

export type MessagePatch = Partial<Omit<MessageRecord, 'messageId' | 'trace'>>;

export const DEFAULT_RECORD_TTL_MS = 24 * 3600_000;
export const DEFAULT_FAULT_TTL_MS = 30 * 24 * 3600_000;
export const DEFAULT_MAX_RECORDS = 100_000;
/** A record keeps its newest trace entries up to this many (a looping itinerary cannot grow it without end). */
export const DEFAULT_MAX_TRACE = 1000;

/**
 * How both message stores merge an update: set fields replace, `context` merges key by
 * key, trace entries append, `updatedAt` defaults to now.
 */
export function applyPatch(record: MessageRecord, patch: MessagePatch, trace: TraceEntry[] | undefined, maxTrace: number): void {
  // A late 'running' (set on a timer by a worker) never overwrites a final status.
  if (patch.status === 'running' && (record.status === 'completed' || record.status === 'faulted')) return;
  const target = record as unknown as Record<string, unknown>;
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (field === 'context') record.context = { ...(record.context ?? {}), ...(value as Record<string, unknown>) };
    else target[field] = value;
  }
  if (patch.updatedAt === undefined) record.updatedAt = isoNow();
  if (trace?.length) {
    record.trace.push(...trace);
    if (record.trace.length > maxTrace) record.trace.splice(0, record.trace.length - maxTrace);
  }
}
