import { describe, expect, it } from 'vitest';
import { ItineraError } from '@itinera/core';
import { retriesExhausted } from './retries-exhausted';

describe('retriesExhausted', () => {
  it('drops the promise of a retry and names the attempts', () => {
    const err = new ItineraError('SEND_FAILED', 'POST http://x/orders answered 503; the step will be retried', {
      transient: true,
      details: [{ pointer: '/steps/0', message: 'x' }],
    });
    const out = retriesExhausted(err, 3);
    expect(out.message).toBe("POST http://x/orders answered 503; not retried again: the step's retries are exhausted after 3 attempts");
    expect(out.message).not.toMatch(/will be retried/);
    expect(out).toMatchObject({ code: 'SEND_FAILED', transient: true, details: err.details });
    expect(out.cause).toBe(err);
  });

  it('says one attempt in the singular, and reads well when nothing promised a retry', () => {
    expect(retriesExhausted(new ItineraError('TIMEOUT', 'no answer within 100 ms', { transient: true }), 1).message).toBe(
      "no answer within 100 ms; not retried again: the step's retries are exhausted after 1 attempt",
    );
    expect(retriesExhausted(new ItineraError('STORE', 'Redis is down. The operation can be retried.'), 2).message).not.toMatch(/can be retried/i);
  });
});
