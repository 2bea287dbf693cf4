import { describe, expect, it } from 'vitest';
import { ANONYMOUS, ItineraError, type SessionInfo } from '@itinera/core';
import { ApiKeyStore } from './api-keys';
import { ADMIN_TOKEN_PRINCIPAL, Authenticator } from './authenticator';
import { httpCredentials, sessionPrincipal } from './request-identity';

const KEY = 'k-alice-0123456789abcdef';
const keys = () => ApiKeyStore.fromEntries([{ name: 'alice', key: KEY, scopes: ['orders.write'] }]);

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as ItineraError).code;
  }
}

describe('Authenticator', () => {
  it('auth none: no credential is anonymous; a presented credential is still checked', async () => {
    const a = new Authenticator({ mode: 'none', apiKeys: keys() });
    expect(await a.authenticate({})).toBe(ANONYMOUS);
    expect((await a.authenticate({ apiKey: KEY })).id).toBe('key:alice');
    expect(await codeOf(a.authenticate({ apiKey: 'wrong-key-0123456789' }))).toBe('UNAUTHORIZED');
    // What nothing configured can check is no credential here: an Authorization meant for a proxy passes as anonymous.
    expect(await a.authenticate({ bearer: 'secret' })).toBe(ANONYMOUS);
    expect(await new Authenticator({ mode: 'none' }).authenticate({ apiKey: 'anything' })).toBe(ANONYMOUS);
  });

  it('auth required: no credential is 401; hello/job credentials may be an API key', async () => {
    const a = new Authenticator({ mode: 'required', apiKeys: keys() });
    expect(await codeOf(a.authenticate({}))).toBe('UNAUTHORIZED');
    expect((await a.authenticate({ credential: KEY })).id).toBe('key:alice');
    expect(await codeOf(a.authenticate({ bearer: 'a.b.c' }))).toBe('UNAUTHORIZED');
  });

  it('the admin token is an operator; queue jobs are trusted only when configured', async () => {
    const a = new Authenticator({ mode: 'required', apiKeys: keys(), adminToken: 'admin-secret' });
    expect(await a.authenticate({ bearer: 'admin-secret' })).toBe(ADMIN_TOKEN_PRINCIPAL);
    expect(a.isOperator(ADMIN_TOKEN_PRINCIPAL)).toBe(true);
    expect(a.operatorEndpointsOpen).toBe(false);
    expect(await codeOf(a.authenticateJob('q', undefined))).toBe('UNAUTHORIZED');
    expect(await codeOf(a.authenticateJob('q', 42))).toBe('UNAUTHORIZED');
    expect((await a.authenticateJob('q', KEY)).id).toBe('key:alice');
    const trusting = new Authenticator({ mode: 'required', apiKeys: keys(), queueTrusted: true });
    expect(await trusting.authenticateJob('q', undefined)).toMatchObject({ id: 'queue:q', kind: 'trusted' });
  });

  it("a job's principal counts only on a trusted queue; elsewhere the job needs its credential", async () => {
    const alice = { id: 'key:alice', kind: 'api-key', name: 'alice', permissions: ['scope:orders.write'] };
    const trusting = new Authenticator({ mode: 'required', apiKeys: keys(), queueTrusted: true });
    expect(await trusting.authenticateJob('q', undefined, alice)).toEqual(alice);
    expect(await trusting.authenticateJob('q', undefined, { ...ANONYMOUS })).toMatchObject({ id: 'anonymous', kind: 'anonymous' });
    expect(await codeOf(trusting.authenticateJob('q', undefined, { id: 'x', kind: 'root', name: 'x', permissions: [] }))).toBe('UNAUTHORIZED');
    expect(await codeOf(trusting.authenticateJob('q', undefined, 'key:alice'))).toBe('UNAUTHORIZED');
    // An untrusted producer cannot claim a principal: required auth refuses, auth off makes it anonymous.
    const required = new Authenticator({ mode: 'required', apiKeys: keys() });
    expect(await codeOf(required.authenticateJob('q', undefined, alice))).toBe('UNAUTHORIZED');
    expect(await new Authenticator({ mode: 'none' }).authenticateJob('q', undefined, alice)).toBe(ANONYMOUS);
    // A credential still decides over a claimed principal.
    expect((await trusting.authenticateJob('q', KEY, { ...alice, id: 'key:bob' })).id).toBe('key:alice');
  });

  it('HTTP: with a session named, Authorization is the session token unless Itinera-Session-Token carries it', () => {
    expect(httpCredentials({ authorization: 'Bearer T', 'x-api-key': 'K' }, true)).toEqual({ credentials: { apiKey: 'K' }, sessionToken: 'T' });
    expect(httpCredentials({ authorization: 'Bearer J', 'itinera-session-token': 'T' }, true)).toEqual({ credentials: { bearer: 'J' }, sessionToken: 'T' });
    expect(httpCredentials({ authorization: 'Bearer J' }, false)).toEqual({ credentials: { bearer: 'J' } });
  });

  it('a session belongs to its opener: another principal is refused, the token alone acts as the owner until its key is revoked', () => {
    const store = keys();
    const a = new Authenticator({ mode: 'required', apiKeys: store });
    const alice = store.lookup(KEY)!;
    const info: SessionInfo = { id: 's1', createdAt: 0, lastSeen: 0, lastSeq: 0, ackedSeq: 0, principal: alice };
    expect(sessionPrincipal(a, info, undefined)).toBe(alice);
    expect(sessionPrincipal(a, info, alice)).toBe(alice);
    expect(() => sessionPrincipal(a, info, { ...alice, id: 'key:bob', name: 'bob' })).toThrow(/another principal/);
    expect(() => sessionPrincipal(a, { ...info, principal: undefined }, undefined)).toThrow(/requires a credential/);
    const revoked = new Authenticator({ mode: 'required', apiKeys: ApiKeyStore.fromEntries([]) });
    expect(() => sessionPrincipal(revoked, info, undefined)).toThrow(/revoked/);
    // A JWT principal is good until its exp: then the token alone no longer acts, a fresh credential does.
    const carol = { id: 'jwt:iss|carol', kind: 'jwt' as const, name: 'carol', permissions: [], expiresAt: Date.now() + 60_000 };
    expect(a.stillValid(carol)).toBe(true);
    const expired = { ...carol, expiresAt: Date.now() - 1 };
    expect(a.stillValid(expired)).toBe(false);
    expect(() => sessionPrincipal(a, { ...info, principal: expired }, undefined)).toThrow(/expired/);
    expect(sessionPrincipal(a, { ...info, principal: expired }, carol)).toBe(carol);
  });
});
