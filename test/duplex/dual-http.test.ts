import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWebhookReceiver, DualHttpSession, openDualHttpSession, type CallbackFrame, type FaultFrame } from '@itinera/client';
import { freePort, sleep, waitFor } from '../support/ports';
import { startTestBus } from '../support/bus';
import { startCluster, type Cluster } from '../support/cluster';

// A host name that resolves to loopback, whatever the machine's DNS says (the guard checks resolved addresses).
const LOOPBACK_NAME = 'callbacks.loopback.test';
vi.mock('node:dns', async (importOriginal) => {
  const dns = await importOriginal<typeof import('node:dns')>();
  const lookup = ((host: string, opts: unknown, cb: (...args: unknown[]) => void) => {
    if (host !== LOOPBACK_NAME) return (dns.lookup as (...args: unknown[]) => void)(host, opts, cb);
    const all = typeof opts === 'object' && opts !== null && (opts as { all?: boolean }).all;
    return all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
  }) as typeof dns.lookup;
  return { ...dns, lookup, default: { ...dns, lookup } };
});

type Bus = Awaited<ReturnType<typeof startTestBus>>;

interface Hit {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A callback endpoint that records every request raw and answers as `answer` says. */
async function captureServer(port: number): Promise<{ hits: Hit[]; answer: (hit: Hit) => { status: number; location?: string }; close(): Promise<void> }> {
  const state = {
    hits: [] as Hit[],
    answer: (_hit: Hit) => ({ status: 204 }) as { status: number; location?: string },
    close: async () => undefined as void,
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hit = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      state.hits.push(hit);
      const a = state.answer(hit);
      res.writeHead(a.status, a.location ? { location: a.location } : {}).end();
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  state.close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return state;
}

const seqOf = (h: Hit) => (JSON.parse(h.body) as { seq: number }).seq;

describe('duplex over dual HTTP (webhooks)', () => {
  let bus: Bus;
  let receiverPort: number;
  let capturePort: number;
  let otherPort: number;

  beforeAll(async () => {
    [receiverPort, capturePort, otherPort] = await Promise.all([freePort(), freePort(), freePort()]);
    bus = await startTestBus({
      env: {
        ITINERA_CALLBACK_ALLOWLIST: [receiverPort, capturePort, otherPort].map((p) => `http://127.0.0.1:${p}/`).join(','),
        ITINERA_CALLBACK_RETRY_MS: '40',
        ITINERA_CALLBACK_RETRY_MAX_MS: '400',
        ITINERA_CALLBACK_TIMEOUT_MS: '2000',
      },
    });
  });
  afterAll(async () => bus?.close());

  it('runs the calculator end to end, in order, across a client restart', async () => {
    const results: number[] = [];
    const equations: string[] = [];
    const faults: string[] = [];
    const seqs: number[] = [];
    const session: DualHttpSession = await openDualHttpSession({ url: bus.url, callbackUrl: `http://127.0.0.1:${receiverPort}/calc` });
    expect(session.info).toMatchObject({ session: expect.any(String), token: expect.any(String), inactivityTimeoutMs: expect.any(Number) });
    expect(session.info.webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const receiver = createWebhookReceiver({
      secret: session.info.webhookSecret,
      callbacks: {
        Result: (body: { result: number }) => void results.push(body.result),
        Equation: (body: { equation: string }) => void equations.push(body.equation),
      },
      onCallback: (f: CallbackFrame) => void seqs.push(f.seq),
      onFault: (f: FaultFrame) => {
        seqs.push(f.seq);
        faults.push(f.error.code);
      },
    });
    let served = await receiver.listen(receiverPort);

    await session.send({ itinerary: 'calculator', action: 'AddTo', body: { n: 100 } });
    await session.send({ itinerary: 'calculator', action: 'SubtractFrom', body: { n: 50 } });
    await session.send({ itinerary: 'calculator', action: 'MultiplyBy', body: { n: 3 } });
    await waitFor(() => results.length === 3, 'three results');

    // The client goes away mid-stream; the bus keeps the frames and retries.
    await served.close();
    await session.send({ itinerary: 'calculator', action: 'DivideBy', body: { n: 2 } });
    await session.send({ itinerary: 'calculator', action: 'DivideBy', body: { n: 0 } });
    await session.send({ itinerary: 'calculator', action: 'Clear' });
    await sleep(300);
    expect(results).toEqual([100, 50, 150]);
    served = await receiver.listen(receiverPort);

    await waitFor(() => equations.length === 1, 'the equation after the restart');
    expect(results).toEqual([100, 50, 150, 75]);
    expect(faults).toEqual(['DIVIDE_BY_ZERO']);
    expect(equations).toEqual(['0 + 100 - 50 * 3 / 2 = 75']);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6]);
    await waitFor(async () => (await bus.bus.sessions.get(session.session))?.ackedSeq === 6, 'acknowledged up to 6');
    await served.close();
    await session.close();
  });

  it('signs every POST the Standard Webhooks way (checked here with node:crypto)', async () => {
    const cap = await captureServer(capturePort);
    try {
      const s = await openDualHttpSession({ url: bus.url, callbackUrl: `http://127.0.0.1:${capturePort}/hooks?tenant=a` });
      const before = Math.floor(Date.now() / 1000);
      await s.send({ itinerary: 'calculator', action: 'AddTo', body: { n: 7 } });
      await s.send({ itinerary: 'calculator', action: 'AddTo', body: { n: 1 } });
      await waitFor(() => cap.hits.length === 2, 'two callbacks');
      const key = Buffer.from(s.info.webhookSecret.slice('whsec_'.length), 'base64');
      expect(key.length).toBeGreaterThanOrEqual(24);
      const ids = new Set<string>();
      for (const [i, hit] of cap.hits.entries()) {
        const id = hit.headers['webhook-id'] as string;
        const ts = hit.headers['webhook-timestamp'] as string;
        expect(id).toMatch(/^\S+$/);
        ids.add(id);
        expect(ts).toMatch(/^\d{10}$/);
        expect(Number(ts)).toBeGreaterThanOrEqual(before - 1);
        expect(Number(ts)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 1);
        const expected = `v1,${createHmac('sha256', key).update(`${id}.${ts}.${hit.body}`).digest('base64')}`;
        expect(hit.headers['webhook-signature']).toBe(expected);
        expect(hit.headers['content-type']).toBe('application/json');
        expect(JSON.parse(hit.body)).toMatchObject({ type: 'callback', seq: i + 1, action: 'Result', body: { result: i === 0 ? 7 : 8 } });
      }
      expect(ids.size).toBe(2);

      // The receiver: a genuine request passes; a tampered body, a wrong secret, a stale timestamp do not.
      const receiver = createWebhookReceiver({ secret: s.info.webhookSecret });
      const hit = cap.hits[0]!;
      expect(receiver.verify(hit.headers, hit.body)).toMatchObject({ seq: 1 });
      expect(() => receiver.verify(hit.headers, hit.body.replace('7', '9'))).toThrow(/does not match/);
      const other = createWebhookReceiver({ secret: `whsec_${Buffer.alloc(32, 1).toString('base64')}` });
      expect(() => other.verify(hit.headers, hit.body)).toThrow(/does not match/);
      const late = createWebhookReceiver({ secret: s.info.webhookSecret, now: () => Date.now() + 10 * 60_000 });
      expect(() => late.verify(hit.headers, hit.body)).toThrow(/timestamp/);
      expect(await receiver.receive(hit.headers, hit.body.replace('7', '9'))).toMatchObject({ status: 401, handled: false });
      expect(await receiver.receive({ ...hit.headers, 'webhook-signature': undefined }, hit.body)).toMatchObject({ status: 401 });
      // Handled once: a replay of the same webhook-id (or an older seq) is answered, not handled again.
      expect(await receiver.receive(hit.headers, hit.body)).toEqual({ status: 204, handled: true });
      expect(await receiver.receive(hit.headers, hit.body)).toEqual({ status: 204, handled: false });
      await s.close();
    } finally {
      await cap.close();
    }
  });

  it('refuses callback addresses the SSRF rules forbid: 422 CALLBACK_URL_REFUSED', async () => {
    const open = await startTestBus({ env: {} });
    try {
      const create = async (base: string, callbackUrl: unknown) => {
        const r = await fetch(`${base}/duplex/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ callbackUrl }) });
        return { status: r.status, body: (await r.json()) as { code: string; detail: string } };
      };
      const refused = [
        ['http://127.0.0.1:9/cb', /loopback.*ITINERA_CALLBACK_ALLOWLIST/],
        ['http://169.254.169.254/latest/meta-data', /metadata/],
        ['http://10.1.2.3/cb', /private/],
        ['http://[::1]:8080/cb', /loopback/],
        [`http://${LOOPBACK_NAME}:8080/cb`, /resolves to 127\.0\.0\.1.*loopback/],
        ['ftp://client.example/cb', /http:\/\/ or https:\/\//],
        ['https://user:pw@client.example/cb', /credentials/],
        ['not a url', /absolute URL/],
      ] as const;
      for (const [url, why] of refused) {
        const r = await create(open.url!, url);
        expect(r.status, url).toBe(422);
        expect(r.body.code, url).toBe('CALLBACK_URL_REFUSED');
        expect(r.body.detail, url).toMatch(why);
        expect(r.body.detail).not.toContain('pw@');
      }
      // With an allow-list, an address outside it is refused, one inside passes.
      const r = await create(bus.url, `http://127.0.0.1:${receiverPort + 0}/x/../../elsewhere`);
      expect(r.status).toBe(201);
      const outside = await create(bus.url, 'http://127.0.0.1:1/cb');
      expect(outside.status).toBe(422);
      expect(outside.body.detail).toMatch(/not on the callback allow-list.*ITINERA_CALLBACK_ALLOWLIST/);
      // No callbackUrl: a plain long-polling session, as before.
      const plain = await fetch(`${open.url}/duplex/sessions`, { method: 'POST' });
      expect(plain.status).toBe(201);
      expect(await plain.json()).not.toHaveProperty('webhookSecret');
    } finally {
      await open.close();
    }
  });

  it('does not follow a redirect: a 3xx is a failure, retried until a 2xx', async () => {
    const cap = await captureServer(capturePort);
    const elsewhere = await captureServer(otherPort);
    try {
      let redirects = 3;
      cap.answer = () => (redirects-- > 0 ? { status: 307, location: `http://127.0.0.1:${otherPort}/` } : { status: 200 });
      const s = await openDualHttpSession({ url: bus.url, callbackUrl: `http://127.0.0.1:${capturePort}/` });
      await s.send({ itinerary: 'calculator', action: 'AddTo', body: { n: 5 } });
      await waitFor(() => cap.hits.length === 4, 'three redirects, then the answer');
      await waitFor(async () => (await bus.bus.sessions.get(s.session))?.ackedSeq === 1, 'acknowledged');
      expect(elsewhere.hits).toHaveLength(0);
      expect(new Set(cap.hits.map((h) => h.headers['webhook-id'])).size).toBe(1);
      await s.close();
    } finally {
      await cap.close();
      await elsewhere.close();
    }
  });

  it('retries with growing backoff while the receiver answers 500, later frames waiting (order kept)', async () => {
    const cap = await captureServer(capturePort);
    try {
      let failures = 4;
      cap.answer = () => (failures-- > 0 ? { status: 500 } : { status: 204 });
      const s = await openDualHttpSession({ url: bus.url, callbackUrl: `http://127.0.0.1:${capturePort}/` });
      await s.send({ itinerary: 'calculator', action: 'AddTo', body: { n: 1 } });
      await s.send({ itinerary: 'calculator', action: 'AddTo', body: { n: 2 } });
      await s.send({ itinerary: 'calculator', action: 'AddTo', body: { n: 3 } });
      await waitFor(() => cap.hits.length === 7, 'five attempts of seq 1, then seq 2 and 3');
      expect(cap.hits.map(seqOf)).toEqual([1, 1, 1, 1, 1, 2, 3]);
      // The same frame keeps its webhook-id across retries; each attempt is signed with its own timestamp.
      expect(new Set(cap.hits.slice(0, 5).map((h) => h.headers['webhook-id'])).size).toBe(1);
      const gaps = cap.hits.slice(1, 5).map((h, i) => h.at - cap.hits[i]!.at);
      // Waits double per failure (jitter within each half): the fourth exceeds the first.
      expect(gaps[3]!).toBeGreaterThan(gaps[0]!);
      await waitFor(async () => (await bus.bus.sessions.get(s.session))?.ackedSeq === 3, 'acknowledged up to 3');
      // Counted by transport: acknowledged POSTs, and those that took more than one attempt.
      const metrics = await (await fetch(`${bus.url}/metrics`)).text();
      const value = (name: string) => Number(new RegExp(`^${name}\\{transport="dual-http"\\} (\\d+)`, 'm').exec(metrics)?.[1]);
      expect(value('itinera_callbacks_delivered_total')).toBeGreaterThanOrEqual(3);
      expect(value('itinera_callbacks_redelivered_total')).toBeGreaterThanOrEqual(1);
      await s.close();
    } finally {
      await cap.close();
    }
  });
});

describe('dual HTTP when the client never comes back', () => {
  it('expires the session: its undelivered frames become SESSION_EXPIRED faults and delivery stops', async () => {
    const port = await freePort();
    const expiring = await startTestBus({
      env: { ITINERA_CALLBACK_ALLOWLIST: `http://127.0.0.1:${port}/`, ITINERA_CALLBACK_RETRY_MS: '50', ITINERA_CALLBACK_RETRY_MAX_MS: '200' },
      sessionTtlMs: 1500,
    });
    const cap = await captureServer(port);
    try {
      cap.answer = () => ({ status: 503 });
      const s = await openDualHttpSession({ url: expiring.url!, callbackUrl: `http://127.0.0.1:${port}/` });
      await s.send({ itinerary: 'calculator', action: 'AddTo', body: { n: 2 } });
      await waitFor(() => cap.hits.length >= 2, 'retries');
      const faults = await waitFor(async () => {
        const list = await expiring.bus.faults.list(50);
        return list.filter((f) => f.error.code === 'SESSION_EXPIRED' && f.envelope.origin?.session === s.session).length ? list : undefined;
      }, 'the expired frame recorded as a fault', 15_000);
      expect(faults.find((f) => f.error.code === 'SESSION_EXPIRED')?.envelope.body).toMatchObject({ type: 'callback', seq: 1, action: 'Result' });
      // No more attempts once the session is gone.
      await sleep(400);
      const attempts = cap.hits.length;
      await sleep(600);
      expect(cap.hits.length).toBe(attempts);
    } finally {
      await cap.close();
      await expiring.close();
    }
  }, 30_000);
});

describe('dual HTTP on BullMQ with two gateways', () => {
  let cluster: Cluster;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    cluster = await startCluster({
      gateways: 2,
      workers: 1,
      env: {
        ITINERA_CALLBACK_ALLOWLIST: `http://127.0.0.1:${port}/`,
        ITINERA_CALLBACK_RETRY_MS: '50',
        ITINERA_CALLBACK_RETRY_MAX_MS: '500',
        ITINERA_CALLBACK_LEASE_MS: '1500',
      },
    });
  }, 120_000);
  afterAll(async () => cluster?.stop());

  it('delivers from one gateway at a time, and another takes the session over when that one dies', async () => {
    const [a, b] = cluster.gateways as [Cluster['gateways'][number], Cluster['gateways'][number]];
    const session = await openDualHttpSession({ url: a.url, callbackUrl: `http://127.0.0.1:${port}/` });
    // The same session, its messages sent through the other gateway.
    const viaB = DualHttpSession.resume({ url: b.url, ...session.info });
    const results: number[] = [];
    const seqs: number[] = [];
    const receiver = createWebhookReceiver({
      secret: session.info.webhookSecret,
      callbacks: { Result: (body: { result: number }) => void results.push(body.result) },
      onCallback: (f: CallbackFrame) => void seqs.push(f.seq),
    });
    let posts = 0;
    const handle = receiver.handler();
    const server = createServer((req, res) => {
      posts++;
      handle(req, res);
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    try {
      await viaB.send({ itinerary: 'calculator', action: 'AddTo', body: { n: 1 } });
      await session.send({ itinerary: 'calculator', action: 'AddTo', body: { n: 2 } });
      await waitFor(() => results.length === 2, 'two results', 20_000);
      // Both acknowledged (so nothing is redelivered below for a reason other than a takeover).
      const ackedSeq = async () =>
        ((await (await fetch(`${b.url}/duplex/sessions/${session.session}`, { headers: { authorization: `Bearer ${session.info.token}` } })).json()) as { ackedSeq: number })
          .ackedSeq;
      await waitFor(async () => (await ackedSeq()) === 2, 'acknowledged up to 2');

      // The gateway that opened the session (and holds its delivery) dies without a word.
      await a.kill('SIGKILL');
      await viaB.send({ itinerary: 'calculator', action: 'AddTo', body: { n: 3 } });
      await viaB.send({ itinerary: 'calculator', action: 'AddTo', body: { n: 4 } });
      await waitFor(() => results.length === 4, 'the results after the takeover', 30_000);
      expect(results).toEqual([1, 3, 6, 10]);
      expect(seqs).toEqual([1, 2, 3, 4]);
      // One POST per frame: no two gateways delivered the same session.
      expect(posts).toBe(4);
    } finally {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    }
  }, 90_000);
});
