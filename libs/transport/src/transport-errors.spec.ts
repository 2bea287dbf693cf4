import { describe, expect, it } from 'vitest';
import { ItineraError } from '@itinera/core';
import { publishFailed } from './transport-errors';

describe('publishFailed', () => {
  it('says a timed-out publish may still run, and how to resend it safely', () => {
    for (const cause of [new Error('publish timed out after 1250 ms'), new Error('Command timed out')]) {
      const err = publishFailed(cause);
      expect(err.code).toBe('TRANSPORT_UNAVAILABLE');
      expect(err.message).toMatch(/may still run/);
      expect(err.message).toMatch(/Idempotency-Key/);
    }
  });

  it('says nothing was accepted when Redis refused or was not reached', () => {
    const err = publishFailed(new Error('Connection is closed.'));
    expect(err.code).toBe('TRANSPORT_UNAVAILABLE');
    expect(err.message).toMatch(/Nothing was accepted/);
  });

  it('keeps an error the box already explained', () => {
    const own = new ItineraError('TRANSPORT_UNAVAILABLE', 'Redis is out of memory');
    expect(publishFailed(own)).toBe(own);
  });
});
