import { describe, expect, it } from 'vitest';
import { newWebhookSecret, webhookHeaders, webhookKey, webhookSignature } from './webhook-signature';

describe('Standard Webhooks signatures', () => {
  it('matches the published test vector of the Standard Webhooks libraries', () => {
    const key = webhookKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    expect(webhookSignature(key, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('makes a whsec_ secret of 32 random key bytes, different each time', () => {
    const a = newWebhookSecret();
    expect(a.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(webhookKey(a.secret).equals(a.key)).toBe(true);
    expect(a.key).toHaveLength(32);
    expect(newWebhookSecret().secret).not.toBe(a.secret);
  });

  it('signs each attempt with its own timestamp in Unix seconds', () => {
    const { key } = newWebhookSecret();
    const h = webhookHeaders(key, 'msg_1', '{"seq":1}', 1_700_000_000_999);
    expect(h).toEqual({ 'webhook-id': 'msg_1', 'webhook-timestamp': '1700000000', 'webhook-signature': webhookSignature(key, 'msg_1', 1700000000, '{"seq":1}') });
  });
});
