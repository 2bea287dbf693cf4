import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ItineraClient } from '@itinera/client';
import { isSecretName, silentLogger } from '@itinera/core';
import { loadConfig, startNode, type StartedNode } from '@itinera/runtime';
import { RawDuplex, SAMPLES_DIR, http, waitFor, type HttpAnswer } from '@itinera/testing';
import { SAMPLE_STEPS } from '../../itineraries/extensions';

/**
 * Client identity and permissions, black box against the embedded bus with
 * ITINERA_AUTH=required, an API keys file and a JWT key: 401/403 on every on-ramp
 * (HTTP, long polling, WebSocket hello, queue jobs), record ownership (the chat
 * case of a member reading another member's message record), sessions bound to
 * their principal, and the operator endpoints.
 */

const KEYS = {
  alice: 'alice-key-0123456789abcdef',
  bob: 'bob-key-0123456789abcdef0',
  ops: 'ops-key-0123456789abcdef00',
  chatA: 'chat-a-key-0123456789abcdef',
  chatB: 'chat-b-key-0123456789abcdef',
};
const ISS = 'https://id.test';
const AUD = 'itinera-test';
const ADMIN = 'admin-token-for-tests';

const ITINERARIES = {
  'secure-orders': {
    name: 'secure-orders',
    version: '1.0.0',
    actions: { CreateOrder: {}, ListOrders: {}, Ping: {} },
    access: { CreateOrder: { anyOf: ['scope:orders.write', 'role:clerk'] }, Ping: { public: true }, '*': { anyOf: ['scope:orders.read'] } },
    steps: [
      { id: 'who', service: 'transform', stage: 'receive', options: { target: 'context.who', expression: 'principal.id' } },
      { id: 'reply', service: 'reply', stage: 'receive', options: { expression: "{ 'who': context.who }" } },
      { id: 'after', service: 'transform', options: { target: 'context.done', expression: 'true' } },
    ],
  },
  'secure-jobs': {
    name: 'secure-jobs',
    version: '1.0.0',
    onRamps: { http: false, duplex: false, queue: [{ queue: 'secure.jobs' }] },
    access: { '*': { anyOf: ['scope:orders.write'] } },
    // A fault at once: the job was accepted, and the fault shows who sent it.
    steps: [{ id: 'stop', service: 'fault', options: { code: 'JOB_SEEN', message: 'seen' } }],
  },
};

type Bus = StartedNode & { url: string };

function expectProblem(res: HttpAnswer, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)?.slice(0, 300)).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body.code).toBe(code);
}

/** The keys file of a fixture folder, beside it (so the folder holds itineraries only). */
const keysFileOf = (dir: string): string => `${dir}-keys.json`;

/** A bus (gateway and worker) on `dir`'s itineraries with `env`. */
async function startBus(env: Record<string, string>, dir: string): Promise<Bus> {
  const config = loadConfig(env as NodeJS.ProcessEnv, { port: 0, host: '127.0.0.1', itinerariesDir: dir });
  return (await startNode({ roles: { gateway: true, worker: true }, steps: SAMPLE_STEPS, config, logger: silentLogger })) as Bus;
}

function removeFixture(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  rmSync(keysFileOf(dir), { force: true });
}

describe('client identity and permissions (ITINERA_AUTH=required)', () => {
  let dir: string;
  let bus: Bus;
  let privateKey: CryptoKey;

  const jwt = (claims: Record<string, unknown>, opts: { exp?: number | string; iss?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256' })
      .setSubject('carol')
      .setIssuer(opts.iss ?? ISS)
      .setAudience(AUD)
      .setExpirationTime(opts.exp ?? '5m')
      .sign(privateKey);

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) => http(`${bus.url}${path}`, { body, headers });
  const send = (action: string, headers: Record<string, string> = {}) =>
    post('/itineraries/secure-orders/messages', { n: 1 }, { 'itinera-action': action, ...headers });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'itinera-identity-'));
    cpSync(SAMPLES_DIR, dir, { recursive: true });
    for (const [name, def] of Object.entries(ITINERARIES)) writeFileSync(join(dir, `${name}.json`), JSON.stringify(def));
    const keysFile = keysFileOf(dir);
    writeFileSync(
      keysFile,
      JSON.stringify([
        { name: 'alice', key: KEYS.alice, scopes: ['orders.write'] },
        { name: 'bob', key: KEYS.bob, scopes: ['orders.read'] },
        { name: 'ops', key: KEYS.ops, scopes: [], roles: ['operator'] },
        { name: 'chat-a', key: KEYS.chatA, scopes: [] },
        { name: 'chat-b', key: KEYS.chatB, scopes: [] },
      ]),
    );
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    const env = {
      ITINERA_LOG_LEVEL: 'silent',
      ITINERA_AUTH: 'required',
      ITINERA_API_KEYS_FILE: keysFile,
      ITINERA_JWT_PUBLIC_KEY: await exportSPKI(pair.publicKey),
      ITINERA_JWT_ISSUER: ISS,
      ITINERA_JWT_AUDIENCE: AUD,
      ITINERA_ADMIN_TOKEN: ADMIN,
    };
    bus = await startBus(env, dir);
  });

  afterAll(async () => {
    await bus?.close();
    removeFixture(dir);
  });

  it('HTTP: no credential or a wrong one is 401 with WWW-Authenticate; without the permission 403 naming it', async () => {
    const none = await send('CreateOrder');
    expectProblem(none, 401, 'UNAUTHORIZED');
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expectProblem(await send('CreateOrder', { 'x-api-key': 'not-a-key-0123456789' }), 401, 'UNAUTHORIZED');
    expectProblem(await send('CreateOrder', { authorization: 'Bearer not.a.jwt' }), 401, 'UNAUTHORIZED');
    const bob = await send('CreateOrder', { 'x-api-key': KEYS.bob });
    expectProblem(bob, 403, 'FORBIDDEN');
    expect(bob.body.detail).toContain('scope:orders.write');
    expect(bob.body.detail).toContain('role:clerk');
    // The "*" default: bob's read scope opens ListOrders, alice's write scope does not.
    expect((await send('ListOrders', { 'x-api-key': KEYS.bob })).status).toBe(200);
    expectProblem(await send('ListOrders', { 'x-api-key': KEYS.alice }), 403, 'FORBIDDEN');
  });

  it('HTTP: an allowed key runs, the principal is a fact for maps and is recorded as the owner', async () => {
    const r = await send('CreateOrder', { 'x-api-key': KEYS.alice });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ who: 'key:alice' });
    const id = r.headers.get('itinera-message-id')!;
    const record = await http(`${bus.url}/messages/${id}`, { headers: { 'x-api-key': KEYS.alice } });
    expect(record.status).toBe(200);
    expect(record.body.principal).toBe('key:alice');
    // Another principal, or nobody: the record does not exist for them.
    expectProblem(await http(`${bus.url}/messages/${id}`, { headers: { 'x-api-key': KEYS.bob } }), 404, 'MESSAGE_NOT_FOUND');
    expectProblem(await http(`${bus.url}/messages/${id}`), 401, 'UNAUTHORIZED');
    expect((await http(`${bus.url}/messages/${id}`, { headers: { 'x-api-key': KEYS.ops } })).status).toBe(200);
    expect((await http(`${bus.url}/messages/${id}`, { token: ADMIN })).status).toBe(200);
  });

  it('HTTP: JWTs are verified (scope, expiry, issuer); public actions need only authentication', async () => {
    const ok = await send('CreateOrder', { authorization: `Bearer ${await jwt({ scope: 'orders.write' })}` });
    expect(ok.status).toBe(200);
    expect(ok.body.who).toBe(`jwt:${ISS}|carol`);
    expectProblem(await send('CreateOrder', { authorization: `Bearer ${await jwt({ roles: ['viewer'] })}` }), 403, 'FORBIDDEN');
    expect((await send('CreateOrder', { authorization: `Bearer ${await jwt({ roles: ['clerk'] })}` })).status).toBe(200);
    const expired = await send('CreateOrder', {
      authorization: `Bearer ${await jwt({ scope: 'orders.write' }, { exp: Math.floor(Date.now() / 1000) - 3600 })}`,
    });
    expectProblem(expired, 401, 'UNAUTHORIZED');
    expect(expired.body.detail).toMatch(/expired/);
    expectProblem(
      await send('CreateOrder', { authorization: `Bearer ${await jwt({ scope: 'orders.write' }, { iss: 'https://evil.test' })}` }),
      401,
      'UNAUTHORIZED',
    );
    expect((await send('Ping', { 'x-api-key': KEYS.chatA })).status).toBe(200);
    expectProblem(await send('Ping'), 401, 'UNAUTHORIZED');
  });

  it('Idempotency-Keys are per principal: another caller with the same key and body runs its own message, never sees the first', async () => {
    const key = { 'idempotency-key': 'shared-key-1' };
    const a1 = await send('Ping', { 'x-api-key': KEYS.alice, ...key });
    const a2 = await send('Ping', { 'x-api-key': KEYS.alice, ...key });
    const b1 = await send('Ping', { 'x-api-key': KEYS.bob, ...key });
    expect(a2.headers.get('itinera-message-id')).toBe(a1.headers.get('itinera-message-id'));
    expect(a2.headers.get('idempotent-replayed')).toBe('true');
    expect(b1.status).toBe(200);
    expect(b1.headers.get('itinera-message-id')).not.toBe(a1.headers.get('itinera-message-id'));
    expect(b1.headers.get('idempotent-replayed')).toBeNull();
  });

  it('long polling: opening a session needs a credential; the session acts as its opener and refuses anyone else', async () => {
    expectProblem(await http(`${bus.url}/duplex/sessions`, { method: 'POST' }), 401, 'UNAUTHORIZED');
    const opened = await http(`${bus.url}/duplex/sessions`, { method: 'POST', headers: { 'x-api-key': KEYS.alice } });
    expect(opened.status).toBe(201);
    const { session, token } = opened.body;
    const msg = (headers: Record<string, string>, action = 'CreateOrder') =>
      post(`/duplex/sessions/${session}/messages`, { id: 'c1', itinerary: 'secure-orders', action, body: {} }, headers);
    // Session token only (the older form): alice's session acts as alice.
    const accepted = await msg({ authorization: `Bearer ${token}` });
    expect(accepted.status).toBe(202);
    expect(accepted.body.reply).toEqual({ who: 'key:alice' });
    // The same session with bob's key: refused, bob cannot use alice's session.
    expectProblem(await msg({ authorization: `Bearer ${token}`, 'x-api-key': KEYS.bob }), 403, 'FORBIDDEN');
    // The new form: session token in Itinera-Session-Token, the client's own JWT in Authorization.
    const carol = await http(`${bus.url}/duplex/sessions`, { method: 'POST', headers: { authorization: `Bearer ${await jwt({ scope: 'orders.read' })}` } });
    expect(carol.status).toBe(201);
    const listed = await post(
      `/duplex/sessions/${carol.body.session}/messages`,
      { id: 'c2', itinerary: 'secure-orders', action: 'CreateOrder', body: {} },
      { 'itinera-session-token': carol.body.token, authorization: `Bearer ${await jwt({ scope: 'orders.read' })}` },
    );
    expectProblem(listed, 403, 'FORBIDDEN');
    expectProblem(await http(`${bus.url}/duplex/sessions/${session}/poll?after=0`, { headers: { authorization: 'Bearer wrong' } }), 401, 'UNAUTHORIZED');
  });

  it('WebSocket: hello without a credential is UNAUTHORIZED and nothing is sent; a resume with another principal is FORBIDDEN', async () => {
    const anon = await RawDuplex.open(bus.url);
    expect(anon.frames[0]).toMatchObject({ type: 'error', error: { code: 'UNAUTHORIZED' } });
    // No session: a send is refused, and a second hello with a credential may follow.
    anon.send({ type: 'send', id: 'x', itinerary: 'secure-orders', action: 'Ping', body: {} });
    expect((await anon.next((f) => f.type === 'error' && f.id === 'x')).error.code).toBe('HELLO_REQUIRED');
    anon.send({ type: 'hello', credential: KEYS.chatA });
    expect(await anon.next((f) => f.type === 'welcome')).toMatchObject({ resumed: false });
    await anon.close();
    const bad = await RawDuplex.open(bus.url, { type: 'hello', credential: 'wrong-key-0123456789' });
    expect(bad.frames[0]).toMatchObject({ type: 'error', error: { code: 'UNAUTHORIZED' } });

    const a = await RawDuplex.open(bus.url, { type: 'hello', credential: KEYS.alice });
    expect(a.session).toBeDefined();
    expect(await a.call('w1', 'secure-orders', 'CreateOrder', {})).toMatchObject({ type: 'accepted', reply: { who: 'key:alice' } });
    expect((await a.call('w2', 'secure-orders', 'ListOrders', {})).error.code).toBe('FORBIDDEN');
    await a.close();

    const hijack = await RawDuplex.open(bus.url, { type: 'hello', session: a.session, token: a.token, credential: KEYS.bob });
    expect(hijack.frames[0]).toMatchObject({ type: 'error', error: { code: 'FORBIDDEN' } });
    const resumed = await RawDuplex.open(bus.url, { type: 'hello', session: a.session, token: a.token });
    expect(resumed.frames[0]).toMatchObject({ type: 'welcome', resumed: true });
    expect(await resumed.call('w3', 'secure-orders', 'CreateOrder', {})).toMatchObject({ type: 'accepted', reply: { who: 'key:alice' } });
    await resumed.close();
  });

  it('a session outlives no JWT: past its exp the session and the socket need a fresh credential (401)', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const short = await jwt({ scope: 'orders.write' }, { exp });
    const ws = await RawDuplex.open(bus.url, { type: 'hello', credential: short });
    expect(await ws.call('e1', 'secure-orders', 'CreateOrder', {})).toMatchObject({ type: 'accepted', reply: { who: `jwt:${ISS}|carol` } });
    const opened = await http(`${bus.url}/duplex/sessions`, { method: 'POST', headers: { authorization: `Bearer ${short}` } });
    expect(opened.status).toBe(201);
    const { session, token } = opened.body;
    const msg = (id: string, headers: Record<string, string>) =>
      post(`/duplex/sessions/${session}/messages`, { id, itinerary: 'secure-orders', action: 'CreateOrder', body: {} }, headers);
    expect((await msg('p1', { 'itinera-session-token': token })).status).toBe(202);
    await new Promise((r) => setTimeout(r, exp * 1000 + 100 - Date.now()));

    const late = await ws.call('e2', 'secure-orders', 'CreateOrder', {});
    expect(late).toMatchObject({ type: 'error', error: { code: 'UNAUTHORIZED' } });
    expectProblem(await msg('p2', { 'itinera-session-token': token }), 401, 'UNAUTHORIZED');
    expectProblem(await http(`${bus.url}/messages/none`, { headers: { 'itinera-session': session, 'itinera-session-token': token } }), 401, 'UNAUTHORIZED');
    // A fresh JWT of the same principal goes on with the session.
    const fresh = await jwt({ scope: 'orders.write' });
    expect((await msg('p3', { 'itinera-session-token': token, authorization: `Bearer ${fresh}` })).status).toBe(202);
    const resumedBare = await RawDuplex.open(bus.url, { type: 'hello', session: ws.session, token: ws.token });
    expect(resumedBare.frames[0]).toMatchObject({ type: 'error', error: { code: 'UNAUTHORIZED' } });
    const resumed = await RawDuplex.open(bus.url, { type: 'hello', session: ws.session, token: ws.token, credential: fresh });
    expect(resumed.frames[0]).toMatchObject({ type: 'welcome', resumed: true });
    expect(await resumed.call('e3', 'secure-orders', 'CreateOrder', {})).toMatchObject({ type: 'accepted' });
    await Promise.all([ws.close(), resumedBare.close(), resumed.close()]);
  });

  it('the TypeScript client presents its credential over WebSocket and long polling', async () => {
    for (const transport of ['websocket', 'long-polling'] as const) {
      const client = await ItineraClient.connect({ url: bus.url, transport, WebSocket, credential: KEYS.alice, reconnect: false });
      expect(await client.send('secure-orders', 'CreateOrder', {})).toMatchObject({ reply: { who: 'key:alice' } });
      await client.close({ end: true });
      const anonymous = await ItineraClient.connect({ url: bus.url, transport, WebSocket, reconnect: false }).then(
        () => 'connected',
        (err: { code?: string; message?: string }) => `${err.code} ${err.message}`,
      );
      expect(anonymous, transport).not.toBe('connected');
      expect(anonymous, transport).toMatch(/UNAUTHORIZED/);
    }
  });

  it("chat: member B learns A's message id from a callback but cannot read A's record (404); A, A's session and operators can", async () => {
    const a = await RawDuplex.open(bus.url, { type: 'hello', credential: KEYS.chatA });
    const b = await RawDuplex.open(bus.url, { type: 'hello', credential: KEYS.chatB });
    for (const [c, name] of [
      [a, 'A'],
      [b, 'B'],
    ] as const) {
      expect((await c.call(`reg-${name}`, 'chat', 'RegisterClient', { name })).type).toBe('accepted');
      await c.next((f) => f.type === 'callback' && /registered/.test(f.body.text));
    }
    const sent = await a.call('hello', 'chat', 'SendMessage', { text: 'hi' });
    expect(sent.type).toBe('accepted');
    const seen = await b.next((f) => f.type === 'callback' && f.body.text === 'A: hi');
    const id = seen.correlationId;
    expect(id).toBe(sent.messageId);
    await waitFor(async () => (await http(`${bus.url}/messages/${id}`, { token: ADMIN })).body.status === 'completed', 'the chat message to complete');

    expectProblem(await http(`${bus.url}/messages/${id}`, { headers: { 'x-api-key': KEYS.chatB } }), 404, 'MESSAGE_NOT_FOUND');
    expectProblem(
      await http(`${bus.url}/messages/${id}`, { headers: { 'itinera-session': b.session!, authorization: `Bearer ${b.token}` } }),
      404,
      'MESSAGE_NOT_FOUND',
    );
    const byOwner = await http(`${bus.url}/messages/${id}`, { headers: { 'x-api-key': KEYS.chatA } });
    expect(byOwner.status).toBe(200);
    expect(byOwner.body).toMatchObject({ principal: 'key:chat-a', session: a.session });
    expect((await http(`${bus.url}/messages/${id}`, { headers: { 'itinera-session': a.session!, authorization: `Bearer ${a.token}` } })).status).toBe(200);
    expect((await http(`${bus.url}/messages/${id}`, { headers: { 'x-api-key': KEYS.ops } })).status).toBe(200);
    await Promise.all([a.close(), b.close()]);
  });

  it('queue jobs: without a credential refused and kept as an UNAUTHORIZED fault (credential never stored); with one, run as its principal', async () => {
    await bus.bus.box.publish('secure.jobs', { action: 'Go', body: { n: 1 } });
    await bus.bus.box.publish('secure.jobs', { action: 'Go', credential: 'wrong-key-0123456789', body: { n: 2 } });
    await bus.bus.box.publish('secure.jobs', { action: 'Go', credential: KEYS.alice, body: { n: 3 } });
    const faults = () => http(`${bus.url}/faults?limit=1000`, { headers: { 'x-api-key': KEYS.ops } });
    const jobs = await waitFor(async () => {
      const all = (await faults()).body.faults.filter((f: any) => f.itinerary.startsWith('secure-jobs'));
      return all.length >= 3 ? all : undefined;
    }, 'the three queue jobs as faults');
    expect(jobs.filter((f: any) => f.error.code === 'UNAUTHORIZED')).toHaveLength(2);
    const seen = jobs.find((f: any) => f.error.code === 'JOB_SEEN');
    const full = await http(`${bus.url}/faults/${seen.id}`, { token: ADMIN });
    expect(full.body.envelope.principal).toMatchObject({ id: 'key:alice', kind: 'api-key' });
    for (const f of jobs.filter((j: any) => j.error.code === 'UNAUTHORIZED')) {
      const refused = await http(`${bus.url}/faults/${f.id}`, { token: ADMIN });
      expect(JSON.stringify(refused.body)).not.toContain('wrong-key-0123456789');
    }
  });

  it('operator endpoints: faults and definitions need role:operator or the admin token; names stay open to authenticated callers', async () => {
    expectProblem(await http(`${bus.url}/faults`), 401, 'UNAUTHORIZED');
    expectProblem(await http(`${bus.url}/faults`, { headers: { 'x-api-key': KEYS.alice } }), 403, 'FORBIDDEN');
    expect((await http(`${bus.url}/faults`, { headers: { 'x-api-key': KEYS.ops } })).status).toBe(200);
    expect((await http(`${bus.url}/faults`, { token: ADMIN })).status).toBe(200);
    expect((await http(`${bus.url}/faults`, { token: await jwt({ roles: 'operator' }) })).status).toBe(200);

    expectProblem(await http(`${bus.url}/itineraries`), 401, 'UNAUTHORIZED');
    const list = await http(`${bus.url}/itineraries`, { headers: { 'x-api-key': KEYS.alice } });
    expect(list.status).toBe(200);
    expect(list.body.itineraries.map((i: any) => i.name)).toContain('secure-orders');
    expectProblem(await http(`${bus.url}/itineraries/secure-orders`, { headers: { 'x-api-key': KEYS.alice } }), 403, 'FORBIDDEN');
    expect((await http(`${bus.url}/itineraries/secure-orders`, { headers: { 'x-api-key': KEYS.ops } })).body.access).toBeDefined();
    // Metrics stay open by default (ITINERA_METRICS_AUTH=open) for Prometheus.
    expect((await http(`${bus.url}/metrics`)).status).toBe(200);
    expect((await http(`${bus.url}/health/live`)).status).toBe(200);
  });
});

describe('identity with ITINERA_AUTH=none', () => {
  let dir: string;
  let bus: Bus;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'itinera-identity-none-'));
    cpSync(SAMPLES_DIR, dir, { recursive: true });
    writeFileSync(join(dir, 'secure-orders.json'), JSON.stringify(ITINERARIES['secure-orders']));
    writeFileSync(
      join(dir, 'echo-headers.json'),
      JSON.stringify({
        name: 'echo-headers',
        version: '1.0.0',
        actions: { Echo: {} },
        steps: [{ id: 'reply', service: 'reply', stage: 'receive', options: { expression: "{ 'names': $keys(headers) }" } }],
      }),
    );
    const keysFile = keysFileOf(dir);
    writeFileSync(keysFile, JSON.stringify([{ name: 'alice', key: KEYS.alice, scopes: ['orders.write'] }]));
    const env = { ITINERA_LOG_LEVEL: 'silent', ITINERA_API_KEYS_FILE: keysFile, ITINERA_METRICS_AUTH: 'operator', ITINERA_ADMIN_TOKEN: ADMIN };
    bus = await startBus(env, dir);
  });

  afterAll(async () => {
    await bus?.close();
    removeFixture(dir);
  });

  it('anonymous callers reach itineraries without access; declared access still needs a credential', async () => {
    const calc = await http(`${bus.url}/itineraries/calculator/messages`, { body: { value: 1 }, headers: { 'itinera-action': 'AddTo' } });
    expect(calc.status).not.toBe(401);
    const anon = await http(`${bus.url}/itineraries/secure-orders/messages`, { body: {}, headers: { 'itinera-action': 'CreateOrder' } });
    expectProblem(anon, 401, 'UNAUTHORIZED');
    const alice = await http(`${bus.url}/itineraries/secure-orders/messages`, {
      body: {},
      headers: { 'itinera-action': 'CreateOrder', 'x-api-key': KEYS.alice },
    });
    expect(alice.status).toBe(200);
    expectProblem(
      await http(`${bus.url}/itineraries/secure-orders/messages`, { body: {}, headers: { 'itinera-action': 'Ping', 'x-api-key': 'wrong-key-0123456789' } }),
      401,
      'UNAUTHORIZED',
    );
  });

  it("chat with auth off: B cannot read A's session-bound record (404); A's session can", async () => {
    const a = await RawDuplex.open(bus.url, { type: 'hello' });
    const b = await RawDuplex.open(bus.url, { type: 'hello' });
    for (const [c, name] of [
      [a, 'A'],
      [b, 'B'],
    ] as const) {
      expect((await c.call(`reg-${name}`, 'chat', 'RegisterClient', { name })).type).toBe('accepted');
      await c.next((f) => f.type === 'callback' && /registered/.test(f.body.text));
    }
    const sent = await a.call('hello', 'chat', 'SendMessage', { text: 'hi' });
    const seen = await b.next((f) => f.type === 'callback' && f.body.text === 'A: hi');
    const id = seen.correlationId;
    expect(id).toBe(sent.messageId);
    const asA = { 'itinera-session': a.session!, 'itinera-session-token': a.token! };
    await waitFor(async () => (await http(`${bus.url}/messages/${id}`, { headers: asA })).body.status === 'completed', 'the chat message to complete');
    expectProblem(await http(`${bus.url}/messages/${id}`), 404, 'MESSAGE_NOT_FOUND');
    expectProblem(
      await http(`${bus.url}/messages/${id}`, { headers: { 'itinera-session': b.session!, 'itinera-session-token': b.token! } }),
      404,
      'MESSAGE_NOT_FOUND',
    );
    // Naming A's session without its token is refused too.
    expect((await http(`${bus.url}/messages/${id}`, { headers: { 'itinera-session': a.session! } })).status).not.toBe(200);
    const own = await http(`${bus.url}/messages/${id}`, { headers: asA });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ session: a.session });
    expect((await http(`${bus.url}/messages/${id}`, { token: ADMIN })).status).toBe(200);
    // A record from no session stays readable by its id.
    const calc = await http(`${bus.url}/itineraries/calculator/messages`, { body: { n: 2 }, headers: { 'itinera-action': 'AddTo' } });
    const calcId = calc.headers.get('itinera-message-id');
    expect(calcId).toBeTruthy();
    expect((await http(`${bus.url}/messages/${calcId}`)).status).toBe(200);
    await Promise.all([a.close(), b.close()]);
  });

  it("credential headers (a proxy's too) never reach the envelope", async () => {
    const res = await http(`${bus.url}/itineraries/echo-headers/messages`, {
      body: {},
      headers: {
        'itinera-action': 'Echo',
        'proxy-authorization': 'Basic cHJveHk6c2VjcmV0',
        authorization: 'Bearer not-for-the-bus',
        cookie: 'sid=1',
        'x-tenant': 'a',
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.names).toContain('x-tenant');
    for (const h of ['proxy-authorization', 'authorization', 'cookie']) expect(res.body.names).not.toContain(h);
    expect(isSecretName('Proxy-Authorization')).toBe(true);
  });

  it('ITINERA_METRICS_AUTH=operator guards /metrics; the admin token opens it', async () => {
    expectProblem(await http(`${bus.url}/metrics`), 401, 'UNAUTHORIZED');
    expect((await http(`${bus.url}/metrics`, { token: ADMIN })).status).toBe(200);
  });
});

describe('a hop between itineraries through a trusted queue (ITINERA_QUEUE_TRUSTED=true)', () => {
  let dir: string;
  let bus: Bus;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'itinera-identity-hop-'));
    const defs = [
      {
        name: 'hop',
        version: '1.0.0',
        steps: [{ id: 'out', service: 'send', options: { adapter: 'queue', address: 'hop.jobs', config: 'action=Go' } }],
      },
      {
        name: 'hop-target',
        version: '1.0.0',
        onRamps: { http: false, duplex: false, queue: [{ queue: 'hop.jobs' }] },
        access: { '*': { anyOf: ['scope:orders.write'] } },
        steps: [{ id: 'stop', service: 'fault', options: { code: 'JOB_SEEN', message: 'seen' } }],
      },
    ];
    for (const def of defs) writeFileSync(join(dir, `${def.name}.json`), JSON.stringify(def));
    const keysFile = keysFileOf(dir);
    writeFileSync(
      keysFile,
      JSON.stringify([
        { name: 'alice', key: KEYS.alice, scopes: ['orders.write'] },
        { name: 'bob', key: KEYS.bob, scopes: ['orders.read'] },
      ]),
    );
    const env = {
      ITINERA_LOG_LEVEL: 'silent',
      ITINERA_AUTH: 'required',
      ITINERA_API_KEYS_FILE: keysFile,
      ITINERA_QUEUE_TRUSTED: 'true',
      ITINERA_ADMIN_TOKEN: ADMIN,
    };
    bus = await startBus(env, dir);
  });

  afterAll(async () => {
    await bus?.close();
    removeFixture(dir);
  });

  it("the job runs as its sender, so the target's access applies: bob's hop is FORBIDDEN, alice's runs", async () => {
    for (const key of [KEYS.bob, KEYS.alice]) {
      const res = await http(`${bus.url}/itineraries/hop/messages`, { body: { n: 1 }, headers: { 'x-api-key': key } });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
    }
    const jobs = await waitFor(async () => {
      const all = (await http(`${bus.url}/faults?limit=100`, { token: ADMIN })).body.faults.filter((f: any) => f.itinerary.startsWith('hop-target'));
      return all.length >= 2 ? all : undefined;
    }, 'both hops to reach hop-target');
    const byCode = Object.fromEntries(jobs.map((f: any) => [f.error.code, f]));
    expect(Object.keys(byCode).sort()).toEqual(['FORBIDDEN', 'JOB_SEEN']);
    expect(byCode.FORBIDDEN.error.message).toContain('key:bob');
    const seen = await http(`${bus.url}/faults/${byCode.JOB_SEEN.id}`, { token: ADMIN });
    expect(seen.body.envelope.principal).toMatchObject({ id: 'key:alice', kind: 'api-key' });
  });
});

describe('a worker-only node', () => {
  it('honours ITINERA_METRICS_AUTH=operator on its /metrics', async () => {
    const env = { ITINERA_LOG_LEVEL: 'silent', ITINERA_METRICS_AUTH: 'operator', ITINERA_ADMIN_TOKEN: ADMIN };
    const config = loadConfig(env as NodeJS.ProcessEnv, { port: 0, host: '127.0.0.1', itinerariesDir: SAMPLES_DIR });
    const worker = (await startNode({ roles: { gateway: false, worker: true }, steps: SAMPLE_STEPS, config, logger: silentLogger })) as Bus;
    try {
      expectProblem(await http(`${worker.url}/metrics`), 401, 'UNAUTHORIZED');
      expectProblem(await http(`${worker.url}/metrics`, { token: 'not-the-admin-token' }), 401, 'UNAUTHORIZED');
      const ok = await http(`${worker.url}/metrics`, { token: ADMIN });
      expect(ok.status).toBe(200);
      expect((await http(`${worker.url}/health/live`)).status).toBe(200);
    } finally {
      await worker.close();
    }
  });
});

describe('identity settings at start-up', () => {
  it('a bad keys file stops the start naming the file and the JSON pointer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'itinera-identity-bad-'));
    const keysFile = keysFileOf(dir);
    writeFileSync(keysFile, JSON.stringify([{ name: 'a', key: 'short', scopes: [] }]));
    const config = loadConfig({ ITINERA_LOG_LEVEL: 'silent', ITINERA_AUTH: 'required', ITINERA_API_KEYS_FILE: keysFile } as NodeJS.ProcessEnv, {
      port: 0,
      host: '127.0.0.1',
      itinerariesDir: SAMPLES_DIR,
    });
    await expect(startNode({ roles: { gateway: true, worker: true }, steps: SAMPLE_STEPS, config, logger: silentLogger })).rejects.toThrow(
      `${keysFile}: /0/key:`,
    );
    expect(() => loadConfig({ ITINERA_AUTH: 'required' } as NodeJS.ProcessEnv)).toThrow(/no credential source/);
    // A JWT source without issuer and audience would take tokens a shared identity provider issued for other apps.
    const jwtEnv = { ITINERA_AUTH: 'required', ITINERA_JWT_JWKS_URL: 'https://id.test/jwks.json' };
    const code = (env: Record<string, string>) => {
      try {
        loadConfig(env as NodeJS.ProcessEnv);
      } catch (e) {
        return `${(e as { code?: string }).code}: ${(e as Error).message}`;
      }
      return 'started';
    };
    expect(code({ ...jwtEnv, ITINERA_JWT_AUDIENCE: AUD })).toMatch(/^CONFIG_INVALID: .*ITINERA_JWT_ISSUER: is required/s);
    expect(code({ ...jwtEnv, ITINERA_JWT_ISSUER: ISS })).toMatch(/^CONFIG_INVALID: .*ITINERA_JWT_AUDIENCE: is required/s);
    expect(code({ ...jwtEnv, ITINERA_JWT_ISSUER: ISS, ITINERA_JWT_AUDIENCE: AUD })).toBe('started');
    removeFixture(dir);
  });
});
