import { describe, expect, it } from 'vitest';
import { allowListEntryFor, assertAddressAllowed, isAddressAllowed, normalizeUrl, redactAddress } from './allow-list';

describe('send allow-list', () => {
  it('allows everything when empty', () => {
    expect(isAddressAllowed('http://anything.test/', [])).toBe(true);
    expect(isAddressAllowed('any-queue', [])).toBe(true);
  });

  it('matches URL prefixes only at a boundary', () => {
    const list = ['http://api.example.test', 'https://hooks.example.test/orders/'];
    expect(isAddressAllowed('http://api.example.test', list)).toBe(true);
    expect(isAddressAllowed('http://api.example.test/v1/orders', list)).toBe(true);
    // The default port is filled in: an entry without a port does not open the host's other ports.
    expect(isAddressAllowed('http://api.example.test:80/x', list)).toBe(true);
    expect(isAddressAllowed('http://api.example.test:8080/x', list)).toBe(false);
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

  it('never shows URL credentials nor secret parameters', () => {
    expect(redactAddress('https://user:pw@api.test/x?apikey=k&q=1')).toBe('https://***@api.test/x?apikey=***&q=1');
    expect(redactAddress('orders')).toBe('orders');
  });

  it('compares after normalisation: dot segments, escapes, case, default ports, trailing dots', () => {
    const list = ['http://host.test/ok'];
    expect(isAddressAllowed('http://host.test/ok', list)).toBe(true);
    expect(isAddressAllowed('http://host.test/ok/x', list)).toBe(true);
    expect(isAddressAllowed('HTTP://HOST.test:80/ok/./x', list)).toBe(true);
    expect(isAddressAllowed('http://host.test./ok', list)).toBe(true);
    expect(isAddressAllowed('http://host.test/%6Fk/x', list)).toBe(true);
    expect(isAddressAllowed('http://host.test/okay', list)).toBe(false);
    expect(isAddressAllowed('http://host.test/ok/../500', list)).toBe(false);
    expect(isAddressAllowed('http://host.test/ok/%2e%2e/500', list)).toBe(false);
    expect(isAddressAllowed('http://host.test/ok/.%2E/500', list)).toBe(false);
    expect(isAddressAllowed('http://host.test/ok\\..\\500', list)).toBe(false);
    expect(isAddressAllowed('http://host.test/ok/x%2F..%2F..%2F500', list)).toBe(false);
    expect(isAddressAllowed('http://host.test/ok%2F..%2F500', list)).toBe(false);
    expect(isAddressAllowed('https://host.test/ok', list)).toBe(false);
    expect(isAddressAllowed('http://host.test:8080/ok', list)).toBe(false);
    expect(isAddressAllowed('http://other.test/ok', list)).toBe(false);
  });

  it('matches host names in punycode and the scheme exactly', () => {
    expect(isAddressAllowed('https://bücher.example/x', ['https://xn--bcher-kva.example/'])).toBe(true);
    expect(isAddressAllowed('https://xn--bcher-kva.example/x', ['https://bücher.example'])).toBe(true);
    expect(isAddressAllowed('wss://api.test/x', ['https://api.test/'])).toBe(false);
    expect(isAddressAllowed('https://api.test:443/x', ['https://api.test'])).toBe(true);
    expect(isAddressAllowed('wss://api.test:443/x', ['wss://api.test/'])).toBe(true);
  });

  it('names the matching entry', () => {
    expect(allowListEntryFor('http://127.0.0.1:8080/a/b', ['orders', 'http://127.0.0.1:8080/a'])).toBe('http://127.0.0.1:8080/a');
    expect(allowListEntryFor('http://127.0.0.1:8081/a/b', ['http://127.0.0.1:8080/a'])).toBeUndefined();
    expect(normalizeUrl('HTTP://Example.TEST./a/../b/%7euser')).toEqual({ scheme: 'http:', host: 'example.test', port: '80', path: '/b/~user' });
  });
});
