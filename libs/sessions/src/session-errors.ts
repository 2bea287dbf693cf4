import { ItineraError } from '@itinera/core';

/** Session ids longer than this are refused as unknown (they never come from `create`). */
export const MAX_SESSION_ID_LENGTH = 128;

export const DEFAULT_SESSION_TTL_MS = 600_000;

const shown = (id: string) => (id.length > 64 ? `${id.slice(0, 64)}…` : id);

export function sessionNotFound(id: string): ItineraError {
  return new ItineraError(
    'SESSION_NOT_FOUND',
    `Session ${shown(String(id))} does not exist or has expired: start a new session (hello without a session, or POST /duplex/sessions).`,
  );
}

export function unauthorized(): ItineraError {
  return new ItineraError(
    'UNAUTHORIZED',
    'The session token is missing or wrong: send the token the server gave when the session started (hello token, or Authorization: Bearer <token>).',
  );
}

export function outboxFull(id: string, pending: number, limit: number): ItineraError {
  return new ItineraError(
    'SESSION_OUTBOX_FULL',
    `Session ${shown(id)} has ${pending} unacknowledged frames (limit ${limit}): the client must acknowledge what it received (ack / poll?after=N), or the outbox limit must be raised.`,
  );
}

export function isUsableId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_SESSION_ID_LENGTH;
}

/** Non-finite limits mean "unbounded"; anything below 1 is treated as 1 so a push can always land. */
export function normalizeLimit(limit: number): number {
  if (!Number.isFinite(limit)) return Number.POSITIVE_INFINITY;
  return Math.max(1, Math.floor(limit));
}

export function checkState(state: unknown): Record<string, unknown> {
  if (!state || typeof state !== 'object' || Array.isArray(state)) {
    throw new ItineraError('BAD_REQUEST', 'Session state must be a JSON object (not an array, null or a scalar).');
  }
  return state as Record<string, unknown>;
}
