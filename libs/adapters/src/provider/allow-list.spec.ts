import { describe, expect, it } from 'vitest';
import { assertAddressAllowed, isAddressAllowed, redactAddress } from './allow-list';

describe('send allow-list', () => {
  it('allows everything when empty', () => {
    expect(isAddressAllowed('http://anything.test/', [])).toBe(true);
    expect(isAddressAllowed('any-queue', [])).toBe(true);
  });

  it('matches URL prefixes only at a boundary', () => {
    const list = ['http://api.example.test', 'https://hooks.example.test/orders/'];
    expect(isAddressAllowed('http://api.example.test', list)).toBe(true);
    expect(isAddressAllowed('http://api.example.test/v1/orders', list)).toBe(true);
    expect(isAddressAllowed('http://api.example.test:8080/x', list)).toBe(true);
    expect(isAddressAllowed('http://api.example.test.evil.test/x', list)).toBe(false);
    expect(isAddressAllowed('https://hooks.example.test/orders/42', list)).toBe(true);
    expect(isAddressAllowed('https://hooks.example.test/other', list)).toBe(false);
  });

  it('matches a bare host name against the URL host', () => {
    expect(isAddressAllowed('https://api.example.test/v1', ['api.example.test'])).toBe(true);
    expect(isAddressAllowed('wss://API.example.test/socket', ['api.example.test'])).toBe(true);
    expect(isAddressAllowed('https://other.test/v1', ['api.example.test'])).toBe(false);
  });

  it('matches queue names exactly', () => {
    expect(isAddressAllowed('orders', ['orders'])).toBe(true);
    expect(isAddressAllowed('orders-dlq', ['orders'])).toBe(false);
  });

  it('refuses with ADDRESS_NOT_ALLOWED naming the address and the setting', () => {
    expect(() => assertAddressAllowed('http', 'http://x.test/', ['http://y.test'])).toThrow(
      expect.objectContaining({ code: 'ADDRESS_NOT_ALLOWED', message: expect.stringMatching(/http:\/\/x\.test\/.*ITINERA_SEND_ALLOWLIST/) }),
    );
  });

  it('never shows URL credentials', () => {
    expect(redactAddress('https://user:pw@api.test/x')).toBe('https://api.test/x');
    expect(redactAddress('orders')).toBe('orders');
  });
});
