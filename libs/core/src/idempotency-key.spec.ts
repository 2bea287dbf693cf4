import { describe, expect, it } from 'vitest';
import { ItineraError } from './errors';
import { MAX_IDEMPOTENCY_KEY_LENGTH, assertIdempotencyKey, previewKey } from './idempotency-key';

function refusal(key: string): ItineraError {
  try {
    assertIdempotencyKey(key);
  } catch (err) {
    return err as ItineraError;
  }
  throw new Error(`"${key.slice(0, 20)}" was accepted`);
}

describe('Idempotency-Key rules', () => {
  it('accepts 1 to 255 visible ASCII characters', () => {
    for (const key of ['a', '0f8fad5b-d9cb-469f-a165-70867728950e', 'order:42/retry~1', '!'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH)]) {
      expect(() => assertIdempotencyKey(key)).not.toThrow();
    }
  });

  it('refuses empty, too long, spaces, controls and non-ASCII with INVALID_IDEMPOTENCY_KEY 400', () => {
    for (const key of ['', 'k'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH + 1), 'a b', 'tab\there', 'caf\u00e9', 'nul\u0000']) {
      const err = refusal(key);
      expect(err.code).toBe('INVALID_IDEMPOTENCY_KEY');
      expect(err.status).toBe(400);
    }
  });

  it('a 15 KB key is named by a short prefix only', () => {
    const err = refusal('k'.repeat(15 * 1024));
    expect(err.message).toContain('15360 characters');
    expect(err.message.length).toBeLessThan(250);
    expect(err.message).toContain(`"${'k'.repeat(32)}…"`);
  });

  it('previewKey escapes what a log line or terminal would mangle', () => {
    expect(previewKey('abc')).toBe('"abc"');
    expect(previewKey('caf\u00e9\u001b[31m')).toBe('"caf\\u00e9\\u001b[31m"');
  });
});
