import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): the secret is
 * `whsec_` + base64 of the key bytes; a signature is `v1,` + base64 of
 * HMAC-SHA256(key, `<webhook-id>.<webhook-timestamp>.<raw body>`).
 */
export const SECRET_PREFIX = 'whsec_';

/** 32 random key bytes (the HMAC-SHA256 block strength) and the secret string the client keeps. */
export function newWebhookSecret(): { secret: string; key: Buffer } {
  const key = randomBytes(32);
  return { secret: `${SECRET_PREFIX}${key.toString('base64')}`, key };
}

/** The key bytes of a `whsec_…` secret. */
export function webhookKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
}

export function webhookSignature(key: Buffer, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The three headers of one delivery attempt; the timestamp is the attempt's, so a retry is signed afresh. */
export function webhookHeaders(key: Buffer, id: string, body: string, now = Date.now()): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': webhookSignature(key, id, timestamp, body) };
}
