import { ItineraError } from './errors';

/** Longest `Idempotency-Key` a client may send: a UUID or a hash fits many times over. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** Visible ASCII only: no spaces, controls or other bytes a log line or a Redis key would mangle. */
const KEY = /^[\x21-\x7e]+$/;

/** Characters of a key an error message repeats; the client knows the rest. */
const PREVIEW_LENGTH = 32;

/**
 * Refuse a client's Idempotency-Key that is empty, longer than 255 characters or not
 * visible ASCII (INVALID_IDEMPOTENCY_KEY 400). The message names only a short prefix.
 */
export function assertIdempotencyKey(key: string): void {
  if (key.length > 0 && key.length <= MAX_IDEMPOTENCY_KEY_LENGTH && KEY.test(key)) return;
  const what =
    key.length > MAX_IDEMPOTENCY_KEY_LENGTH ? `is ${key.length} characters long` : key.length === 0 ? 'is empty' : 'has a character that is not visible ASCII';
  throw new ItineraError(
    'INVALID_IDEMPOTENCY_KEY',
    `the Idempotency-Key ${previewKey(key)} ${what}; send 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters (a UUID, for example)`,
  );
}

/** A key as error messages show it: quoted, at most 32 characters, `…` when cut, non-ASCII escaped. */
export function previewKey(key: string): string {
  const cut = key.length > PREVIEW_LENGTH ? key.slice(0, PREVIEW_LENGTH) + '…' : key;
  return JSON.stringify(cut).replace(/[^\x20-\x7e…]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
