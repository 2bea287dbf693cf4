import { randomBytes, randomUUID } from 'node:crypto';

export const newId = (): string => randomUUID();

/** At least 128 random bits, URL-safe. */
export const newToken = (): string => randomBytes(24).toString('base64url');

/**
 * A deterministic id for one step of one message: the same message retrying the
 * same step gets the same id, so downstream systems can detect the retry. Plain
 * text (message id, step index, step id), readable in logs and cheap on the hot path.
 */
export function stepId(messageId: string, stepIndex: number, stepName: string): string {
  return `${messageId}.${stepIndex}.${stepName}`;
}
