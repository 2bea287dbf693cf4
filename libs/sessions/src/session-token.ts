import { createHash, timingSafeEqual } from 'node:crypto';

/** Only this digest is stored: a leaked store does not leak usable tokens. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

// Compared against when the session is unknown, so both paths do the same work.
const DUMMY = hashToken('itinera:no-session');

/** Constant-time comparison of a presented token with a stored digest. */
export function tokenMatches(stored: Buffer | undefined, presented: string | undefined): boolean {
  if (typeof presented !== 'string' || presented.length === 0) return false;
  const given = hashToken(presented);
  const expected = stored && stored.length === given.length ? stored : DUMMY;
  return timingSafeEqual(given, expected) && expected !== DUMMY;
}
