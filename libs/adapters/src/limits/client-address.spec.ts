import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { addressLimitKey, clientAddress, parseTrustProxy, trustFunction } from './client-address';

const request = (peer: string, xff?: string) => ({ socket: { remoteAddress: peer }, headers: xff ? { 'x-forwarded-for': xff } : {} }) as unknown as IncomingMessage;

describe('client address', () => {
  it('keys IPv4 as it is, IPv4-mapped IPv6 as IPv4, other IPv6 by its /64', () => {
    expect(addressLimitKey('10.1.2.3')).toBe('10.1.2.3');
    expect(addressLimitKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(addressLimitKey('2001:db8:a:b:1:2:3:4')).toBe('2001:db8:a:b::/64');
    expect(addressLimitKey('2001:0db8:000a:000b::9')).toBe('2001:db8:a:b::/64');
    expect(addressLimitKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressLimitKey('?')).toBe('?');
  });

  it('believes X-Forwarded-For only from trusted peers', () => {
    const lb = trustFunction(parseTrustProxy('10.0.0.0/8, loopback')!);
    expect(clientAddress(request('10.0.0.2', '198.51.100.1'), lb)).toBe('198.51.100.1');
    expect(clientAddress(request('10.0.0.2', '6.6.6.6, 198.51.100.1'), lb)).toBe('198.51.100.1'); // the client's own claim is not believed
    expect(clientAddress(request('192.0.2.1', '198.51.100.1'), lb)).toBe('192.0.2.1');
    expect(clientAddress(request('192.0.2.1', '198.51.100.1'))).toBe('192.0.2.1');
    expect(clientAddress(request('192.0.2.1', '6.6.6.6, 198.51.100.1'), trustFunction(1))).toBe('198.51.100.1');
    expect(clientAddress(request('192.0.2.1', '6.6.6.6, 198.51.100.1'), trustFunction(true))).toBe('6.6.6.6');
  });

  it('parses ITINERA_TRUST_PROXY', () => {
    expect(parseTrustProxy('')).toBe(false);
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('TRUE')).toBe(true);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('10.0.0.0/8,::1')).toEqual(['10.0.0.0/8', '::1']);
    expect(parseTrustProxy('10.0.0.0/8,nonsense')).toBeUndefined();
  });
});
