import { ItineraError, type MessageQuery, type MessageRecord, type MessageStatus, type MessageSummary } from '@itinera/core';

/** `name@version` → its two parts (a key without `@` has no version). */
export function splitItinerary(key: string): { name: string; version: string } {
  const at = key.lastIndexOf('@');
  return at > 0 ? { name: key.slice(0, at), version: key.slice(at + 1) } : { name: key, version: '' };
}

/** A record as a search result shows it. */
export function summarizeMessage(r: Pick<MessageRecord, 'messageId' | 'correlationId' | 'itinerary' | 'status' | 'acceptedAt' | 'updatedAt'>): MessageSummary {
  const { name, version } = splitItinerary(r.itinerary);
  return { id: r.messageId, correlationId: r.correlationId, itinerary: name, version, status: r.status, acceptedAt: r.acceptedAt, updatedAt: r.updatedAt };
}

/** `orders` matches every version of orders; `orders@1.0.0` that version only. */
export function itineraryMatches(key: string, wanted: string): boolean {
  return key === wanted || (key.length > wanted.length && key.startsWith(wanted) && key.charCodeAt(wanted.length) === 64 /* @ */ && !wanted.includes('@'));
}

export const MESSAGE_STATUSES: readonly MessageStatus[] = ['accepted', 'running', 'completed', 'faulted'];

export const epochMs = (iso: string | undefined): number => {
  const t = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
};

/** Whether a record matches every filter of the query (the indexes only narrow the candidates). */
export function recordMatches(r: MessageRecord, q: MessageQuery): boolean {
  if (q.id !== undefined && r.messageId !== q.id) return false;
  if (q.correlationId !== undefined && r.correlationId !== q.correlationId) return false;
  if (q.itinerary !== undefined && !itineraryMatches(r.itinerary, q.itinerary)) return false;
  if (q.status !== undefined && r.status !== q.status) return false;
  const at = epochMs(r.acceptedAt);
  if (q.since !== undefined && at < q.since) return false;
  if (q.until !== undefined && at >= q.until) return false;
  return true;
}

/** A cursor this store did not hand out. */
export function badCursor(cursor: string): ItineraError {
  return new ItineraError('INVALID_CURSOR', `the cursor "${cursor.slice(0, 40)}" is not one this list handed out; start again without it`, {
    details: [{ pointer: '/cursor', message: 'must be the nextCursor of the page before' }],
  });
}
