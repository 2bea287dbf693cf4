import { randomBytes, randomUUID, createHash } from 'node:crypto';

export const newId = (): string => randomUUID();

/** At least 128 random bits, URL-safe. */
export const newToken = (): string => randomBytes(24).toString('base64url');

/**
 * A deterministic id for one step of one message: the same message retrying the
 * same step gets the same id, so downstream systems can detect the retry.
 */
export function stepId(messageId: string, stepIndex: number, stepName: string): string {
  return createHash('sha256').update(`${messageId}:${stepIndex}:${stepName}`).digest('base64url').slice(0, 22);
}
