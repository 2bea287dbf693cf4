import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ItineraError } from '@itinera/core';
import { JwtVerifier } from './jwt';

const ISS = 'https://id.example';
const AUD = 'itinera';

let priv: CryptoKey;
let pem: string;
let other: CryptoKey;

const sign = (claims: Record<string, unknown>, opts: { iss?: string; aud?: string; exp?: string | number; key?: CryptoKey; sub?: string | null } = {}) => {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(opts.iss ?? ISS)
    .setAudience(opts.aud ?? AUD);
  if (opts.sub !== null) jwt.setSubject(opts.sub ?? 'alice');
  jwt.setExpirationTime(opts.exp ?? '5m');
  return jwt.sign(opts.key ?? priv);
};

async function refused(v: JwtVerifier, token: string): Promise<ItineraError> {
  try {
    await v.verify(token);
  } catch (e) {
    return e as ItineraError;
  }
  throw new Error('verified');
}

describe('JWT verification', () => {
  let v: JwtVerifier;
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    priv = pair.privateKey;
    pem = await exportSPKI(pair.publicKey);
    other = (await generateKeyPair('ES256')).privateKey;
    v = new JwtVerifier({ publicKey: pem, issuer: ISS, audience: AUD, clockToleranceSec: 5 });
  });

  it('remembers verified tokens by a digest, never the token itself', async () => {
    const token = await sign({});
    await v.verify(token);
    const keys = [...(v as unknown as { verified: Map<string, unknown> }).verified.keys()];
    expect(keys.length).toBeGreaterThan(0);
    expect(keys).not.toContain(token);
    expect(keys.every((k) => /^[\w-]{43}$/.test(k))).toBe(true);
    expect((await v.verify(token)).name).toBe('alice');
  });

  it('a good token gives jwt:<iss>|<sub> with scopes and roles as permissions', async () => {
    const p = await v.verify(await sign({ scope: 'orders.write orders.read', roles: ['clerk'] }));
    expect(p).toEqual({
      id: `jwt:${ISS}|alice`,
      kind: 'jwt',
      name: 'alice',
      permissions: ['scope:orders.write', 'scope:orders.read', 'role:clerk'],
      expiresAt: expect.any(Number),
    });
  });

  it('a JWK public key works as well as a PEM', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const jwk = JSON.stringify(await exportJWK(pair.publicKey));
    const vj = new JwtVerifier({ publicKey: jwk, issuer: ISS, audience: AUD });
    expect((await vj.verify(await sign({}, { key: pair.privateKey }))).name).toBe('alice');
  });

  it('refuses expired, wrong issuer, wrong audience, tampered, foreign-signed, alg none, HS256 and sub-less tokens with UNAUTHORIZED', async () => {
    const expired = await refused(v, await sign({}, { exp: Math.floor(Date.now() / 1000) - 60 }));
    expect(expired.code).toBe('UNAUTHORIZED');
    expect(expired.message).toMatch(/expired/);
    expect((await refused(v, await sign({}, { iss: 'https://evil.example' }))).message).toMatch(/issuer/);
    expect((await refused(v, await sign({}, { aud: 'other' }))).message).toMatch(/audience/);
    const good = await sign({ scope: 'a' });
    const [h, , s] = good.split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'alice', iss: ISS, aud: AUD, exp: 9999999999, scope: 'admin' })).toString('base64url');
    expect((await refused(v, `${h}.${forged}.${s}`)).message).toMatch(/signature/);
    expect((await refused(v, await sign({}, { key: other }))).message).toMatch(/signature/);
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${forged}.`;
    expect((await refused(v, none)).code).toBe('UNAUTHORIZED');
    const hs = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISS)
      .setAudience(AUD)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(pem));
    expect((await refused(v, hs)).message).toMatch(/algorithm/);
    expect((await refused(v, await sign({}, { sub: null }))).message).toMatch(/sub/);
    expect((await refused(v, 'not.a.jwt')).code).toBe('UNAUTHORIZED');
  });

  it('tolerates clock skew within the setting only', async () => {
    const justExpired = await sign({}, { exp: Math.floor(Date.now() / 1000) - 2 });
    expect((await v.verify(justExpired)).name).toBe('alice');
  });

  it('bad key settings are CONFIG_INVALID', () => {
    expect(() => new JwtVerifier({})).toThrow(/ITINERA_JWT_JWKS_URL or ITINERA_JWT_PUBLIC_KEY/);
    const named = { issuer: ISS, audience: AUD };
    expect(() => new JwtVerifier({ publicKey: 'hello', ...named })).toThrow(/SPKI PEM/);
    expect(() => new JwtVerifier({ publicKey: '{"kty":"oct","k":"abc"}', ...named })).toThrow(/public key/);
    expect(() => new JwtVerifier({ jwksUrl: 'not a url', ...named })).toThrow(/not a URL/);
    // Tokens a shared identity provider issued for other apps must not pass: issuer and audience are required.
    expect(() => new JwtVerifier({ publicKey: pem, audience: AUD })).toThrow(/ITINERA_JWT_ISSUER is required/);
    expect(() => new JwtVerifier({ publicKey: pem, issuer: ISS })).toThrow(/ITINERA_JWT_AUDIENCE is required/);
    expect(() => new JwtVerifier({ publicKey: pem, issuer: ISS, audience: [] })).toThrow(/ITINERA_JWT_AUDIENCE is required/);
  });
});

describe('JWT verification against a JWKS URL', () => {
  it('fetches the keys from the URL; an unreachable JWKS is AUTH_UNAVAILABLE (retry), not a client error', async () => {
    const { createServer } = await import('node:http');
    const pair = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const v = new JwtVerifier({ jwksUrl: `http://127.0.0.1:${port}/jwks.json`, issuer: ISS, audience: AUD });
      const token = await new SignJWT({ roles: 'operator' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setSubject('ops')
        .setIssuer(ISS)
        .setAudience(AUD)
        .setExpirationTime('5m')
        .sign(pair.privateKey);
      expect((await v.verify(token)).permissions).toEqual(['role:operator']);
      const down = new JwtVerifier({ jwksUrl: 'http://127.0.0.1:1/jwks.json', issuer: ISS, audience: AUD });
      const err = await refused(down, token);
      expect(err.code).toBe('AUTH_UNAVAILABLE');
      expect(err.status).toBe(503);
    } finally {
      server.close();
    }
  });
});

describe('JWT verification cache', () => {
  it('answers a token verified before without verifying again, and never past its expiry', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const v = new JwtVerifier({ publicKey: await exportSPKI(pair.publicKey), issuer: ISS, audience: AUD });
    const token = await new SignJWT({ scope: 'a' })
      .setProtectedHeader({ alg: 'ES256' })
      .setSubject('s')
      .setIssuer(ISS)
      .setAudience(AUD)
      .setExpirationTime('5m')
      .sign(pair.privateKey);
    const first = await v.verify(token);
    expect(await v.verify(token)).toBe(first);
    const soon = Math.floor(Date.now() / 1000) + 1;
    const short = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256' })
      .setSubject('s')
      .setIssuer(ISS)
      .setAudience(AUD)
      .setExpirationTime(soon)
      .sign(pair.privateKey);
    const strict = new JwtVerifier({ publicKey: await exportSPKI(pair.publicKey), issuer: ISS, audience: AUD, clockToleranceSec: 0 });
    expect((await strict.verify(short)).name).toBe('s');
    await new Promise((r) => setTimeout(r, (soon + 1) * 1000 - Date.now()));
    expect((await refused(strict, short)).message).toMatch(/expired/);
  });
});
