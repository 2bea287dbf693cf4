import { describe, expect, it } from 'vitest';
import { ItineraError } from '@itinera/core';
import { classifyHost, classifyIp, guardedLookup, permittedClasses, type GuardPolicy } from './address-guard';
import { checkOutbound } from './check-url';

/** What `checkOutbound` throws (or undefined), as `CODE: message`. */
function refusal(address: string, ctx: { allowList?: string[]; allowPrivate?: boolean } = {}): string | undefined {
  try {
    checkOutbound('http', address, { allowList: ctx.allowList ?? [], allowPrivate: ctx.allowPrivate });
    return undefined;
  } catch (err) {
    if (!(err instanceof ItineraError)) throw err;
    return `${err.code}: ${err.message}`;
  }
}

function lookupOf(host: string, policy: GuardPolicy, opts: object = {}): Promise<{ err?: Error; result?: unknown }> {
  return new Promise((resolve) =>
    (guardedLookup('send adapter "http"', policy) as unknown as (h: string, o: object, cb: (err: Error | null, ...r: unknown[]) => void) => void)(
      host,
      opts,
      (err, ...result) => resolve(err ? { err } : { result }),
    ),
  );
}

describe('address guard: classification', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0x7f000001', 'loopback'],
    ['2130706433', 'loopback'],
    ['0177.0.0.1', 'loopback'],
    ['127.1', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::a00:1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['::127.0.0.1', 'loopback'],
    ['::7f00:1', 'loopback'],
    ['::808:808', 'reserved'],
    ['2001::1', 'reserved'],
    ['100::1', 'reserved'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['::ffff:192.168.1.1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['100.64.0.1', 'carrier-grade-nat'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['169.254.169.254', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['8.8.8.8', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['::ffff:8.8.8.8', 'public'],
  ])('%s is %s', (ip, cls) => {
    expect(classifyIp(ip)).toBe(cls);
  });

  it('classifies host names: localhost and metadata names by name, others left to DNS', () => {
    expect(classifyHost('localhost')).toBe('loopback');
    expect(classifyHost('LOCALHOST.')).toBe('loopback');
    expect(classifyHost('api.localhost')).toBe('loopback');
    expect(classifyHost('metadata.google.internal')).toBe('metadata');
    expect(classifyHost('example.com')).toBeUndefined();
  });

  it('permits private classes when allowed wholesale, metadata only when that very host is listed', () => {
    expect([...permittedClasses('x.test', {})]).toEqual(['public']);
    expect(permittedClasses('x.test', { allowPrivate: true }).has('loopback')).toBe(true);
    expect(permittedClasses('x.test', { allowPrivate: true }).has('metadata')).toBe(false);
    expect(permittedClasses('x.test', { listed: true }).has('private')).toBe(true);
    expect(permittedClasses('x.test', { listed: true }).has('metadata')).toBe(false);
    expect(permittedClasses('169.254.169.254', { listed: true }).has('metadata')).toBe(true);
  });
});

describe('address guard: outbound URLs', () => {
  it.each([
    'http://127.0.0.1:6379/',
    'http://0x7f000001:6379/',
    'http://2130706433:6379/',
    'http://0177.0.0.1:6379/',
    'http://127.1:6379/',
    'http://localhost:6379/',
    'http://[::1]:6379/',
    'http://[::ffff:127.0.0.1]:6379/',
    'http://[::ffff:7f00:1]/',
    'http://[64:ff9b::7f00:1]/',
    'http://[::127.0.0.1]/',
    'http://10.0.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://0.0.0.0:6379/',
    'http://[::]:6379/',
    'http://224.0.0.1/',
  ])('refuses %s with ADDRESS_REFUSED naming the host and the rule', (address) => {
    const r = refusal(address);
    expect(r).toMatch(/^ADDRESS_REFUSED: send adapter "http" may not reach ".+": it is an? .+ address \(rule: [a-z-]+\)/);
  });

  it('lets a public literal through, and listed or wholesale-allowed private targets', () => {
    expect(refusal('http://8.8.8.8/')).toBeUndefined();
    expect(refusal('http://example.com/')).toBeUndefined();
    expect(refusal('http://127.0.0.1:8080/in', { allowList: ['http://127.0.0.1:8080/'] })).toBeUndefined();
    expect(refusal('http://127.0.0.1:8080/in', { allowPrivate: true })).toBeUndefined();
    expect(refusal('http://localhost:8080/in', { allowPrivate: true })).toBeUndefined();
  });

  it('keeps metadata refused when private networks are allowed, unless that host is listed', () => {
    expect(refusal('http://169.254.169.254/', { allowPrivate: true })).toMatch(/^ADDRESS_REFUSED: .*rule: metadata/);
    expect(refusal('http://169.254.169.254/', { allowList: ['http://169.254.169.254/'] })).toBeUndefined();
  });

  it('refuses a listed port only for that port, and an unlisted address with ADDRESS_NOT_ALLOWED', () => {
    expect(refusal('http://127.0.0.1:6379/', { allowList: ['http://127.0.0.1:8080/'] })).toMatch(/^ADDRESS_NOT_ALLOWED/);
    expect(refusal('http://127.0.0.1:8080/ok/../500', { allowList: ['http://127.0.0.1:8080/ok'] })).toMatch(/^ADDRESS_NOT_ALLOWED/);
  });

  it('refuses credentials in the address with ADDRESS_CREDENTIALS, never showing them', () => {
    const r = refusal('ws://allowed.test:x@127.0.0.1:9/', { allowList: ['ws://allowed.test/'] });
    expect(r).toMatch(/^ADDRESS_CREDENTIALS: .*username and password/);
    expect(r).not.toContain('allowed.test:x');
    expect(refusal('https://user:s3cret@api.example/')).not.toContain('s3cret');
  });
});

describe('address guard: connect-time lookup', () => {
  it('refuses a name that resolves to loopback, naming the host, the address and the rule', async () => {
    const { err } = await lookupOf('localhost', {});
    expect(err).toBeInstanceOf(ItineraError);
    expect((err as ItineraError).code).toBe('ADDRESS_REFUSED');
    expect(err!.message).toMatch(/"localhost": it resolves to (127\.0\.0\.1|::1), a loopback address \(rule: loopback\)/);
  });

  it('answers in the shape asked for (one address, or all) when permitted', async () => {
    const one = await lookupOf('localhost', { allowPrivate: true }, { family: 4 });
    expect(one.result).toEqual(['127.0.0.1', 4]);
    const all = await lookupOf('localhost', { listed: true }, { all: true, family: 4 });
    expect(all.result).toEqual([[{ address: '127.0.0.1', family: 4 }]]);
  });

  it('passes DNS errors through', async () => {
    const { err } = await lookupOf('no-such-host.invalid', {});
    expect((err as NodeJS.ErrnoException).code).toMatch(/ENOTFOUND|EAI_AGAIN/);
  });
});
