import { lookup } from 'node:dns/promises';
import { createServer, type Server } from 'node:http';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Redis from 'ioredis';
import { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@itinera/observability';
import { SAMPLES_DIR, http, startRedis, startTestBus, waitFor, type RedisServer } from '@itinera/testing';

/**
 * SSRF (OWASP API7), black box against the embedded bus: an itinerary whose route is
 * resolved from the message body, aimed at the Redis port on loopback in every address
 * form, at a `..` escape from an allow-listed prefix, and at a WebSocket address carrying
 * credentials. Each faults with its documented code (ADDRESS_REFUSED, ADDRESS_NOT_ALLOWED,
 * ADDRESS_CREDENTIALS), nothing reaches the target, and the secrets in the addresses never
 * show in GET /messages/{id}, /faults or the log. A 50 MB answer from an allow-listed
 * endpoint fails the step (SEND_FAILED) and the record stays small.
 */

/** The route is the caller's to choose: the body names adapter and address. */
const SSRF_ITINERARY = {
  name: 'ssrf',
  version: '1.0.0',
  description: 'SSRF test: route to the endpoint the body names, then send.',
  steps: [
    {
      id: 'route',
      service: 'route',
      resolver: { type: 'expression', expression: '{ "adapter": body.adapter, "address": body.url, "config": "timeoutMs=5000" }' },
    },
    { id: 'deliver', service: 'send', options: { resultTarget: 'context.answer' } },
  ],
};

const SECRET = 'sup3rS3cretValue';

interface Bus {
  bus: Awaited<ReturnType<typeof startTestBus>>;
  logs: string[];
}

async function startBus(dir: string, env: Record<string, string>): Promise<Bus> {
  const logs: string[] = [];
  const out = new PassThrough();
  out.on('data', (d: Buffer) => logs.push(...d.toString().split('\n').filter(Boolean)));
  // Debug level: bodies before and after each step are logged too, and must be masked as well.
  const logger = createLogger({ level: 'debug', destination: out });
  return { bus: await startTestBus({ itinerariesDir: dir, env: { ITINERA_LOG_LEVEL: 'debug', ...env }, logger }), logs };
}

/** Post one message, wait until its record settles, and give back its record. */
async function runOne(b: Bus, body: Record<string, unknown>): Promise<any> {
  const res = await http(`${b.bus.url}/itineraries/ssrf/messages`, { body });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const id = res.headers.get('itinera-message-id')!;
  return waitFor(
    async () => {
      const r = await http(`${b.bus.url}/messages/${id}`);
      return r.body?.status === 'faulted' || r.body?.status === 'completed' ? r.body : undefined;
    },
    `message ${id} to settle`,
    20_000,
  );
}

/** Everything an operator or a client can see about the bus's faults. */
async function faultViews(b: Bus): Promise<string> {
  const list = await http(`${b.bus.url}/faults?limit=1000`);
  expect(list.status).toBe(200);
  const details = await Promise.all(list.body.faults.map((f: { id: string }) => http(`${b.bus.url}/faults/${f.id}`).then((r) => r.body)));
  return JSON.stringify(list.body) + JSON.stringify(details);
}

describe('SSRF guard on by default, allow-list, credentials, answer size (embedded bus)', () => {
  let redis: RedisServer;
  let probe: Redis;
  let dir: string;
  let plain: Bus;
  let listed: Bus;
  let site: Server;
  let siteUrl: string;
  let siteHits = 0;
  let wss: WebSocketServer;
  let wsPort: number;
  let wsConnections = 0;

  beforeAll(async () => {
    redis = await startRedis({ appendonly: false });
    probe = new Redis(redis.url, { lazyConnect: true });
    await probe.connect();

    site = createServer((req, res) => {
      siteHits++;
      req.resume();
      if (req.url === '/big') {
        // 50 MB, streamed: the adapter must stop reading at its limit.
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(256 * 1024, 'x');
        let left = 200;
        const pump = () => {
          while (left > 0 && !res.destroyed) {
            left--;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('error', () => undefined);
        return pump();
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    siteUrl = `http://127.0.0.1:${(site.address() as { port: number }).port}`;

    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    wss.on('connection', () => wsConnections++);
    await new Promise<void>((r) => wss.once('listening', r));
    wsPort = (wss.address() as { port: number }).port;

    dir = mkdtempSync(join(tmpdir(), 'itinera-ssrf-'));
    cpSync(SAMPLES_DIR, dir, { recursive: true });
    writeFileSync(join(dir, 'ssrf.json'), JSON.stringify(SSRF_ITINERARY, null, 2));
    plain = await startBus(dir, {});
    listed = await startBus(dir, { ITINERA_SEND_ALLOWLIST: `${siteUrl}/ok,${siteUrl}/big,ws://allowed.test/` });
  }, 60_000);

  afterAll(async () => {
    await plain?.bus.close();
    await listed?.bus.close();
    probe?.disconnect();
    await redis?.stop();
    site?.closeAllConnections();
    site?.close();
    for (const c of wss?.clients ?? []) c.terminate();
    wss?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const redisConnections = async () => Number(/total_connections_received:(\d+)/.exec(await probe.info('stats'))![1]);

  it('refuses the Redis port on loopback in every address form (ADDRESS_REFUSED), reaching nothing', async () => {
    const port = redis.port;
    const before = await redisConnections();
    const forms = [
      `http://127.0.0.1:${port}/?apikey=${SECRET}`,
      `http://0x7f000001:${port}/`,
      `http://2130706433:${port}/`,
      `http://0177.0.0.1:${port}/`,
      `http://127.1:${port}/`,
      `http://localhost:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://[::1]:${port}/`,
      `http://169.254.169.254/latest/meta-data/?token=${SECRET}`,
      `ws://127.0.0.1:${port}/`,
    ];
    const own = await lookup(hostname()).catch(() => undefined);
    // The machine's own name resolves (hosts file) to loopback or a private address: refused on the resolved address.
    if (own && /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|::1$)/.test(own.address)) forms.push(`http://${hostname()}:${port}/`);
    for (const url of forms) {
      const record = await runOne(plain, { adapter: url.startsWith('ws') ? 'ws' : 'http', url });
      expect(record.status, url).toBe('faulted');
      expect(record.error.code, `${url}: ${record.error.message}`).toBe('ADDRESS_REFUSED');
      expect(record.error.message).toMatch(/\(rule: (loopback|metadata)\)/);
      expect(JSON.stringify(record)).not.toContain(SECRET);
    }
    expect(await redisConnections()).toBe(before);
  });

  it('with an allow-list, refuses a `..` escape from a listed prefix and an unlisted loopback port (ADDRESS_NOT_ALLOWED)', async () => {
    const hits = siteHits;
    for (const url of [`${siteUrl}/ok/../500`, `${siteUrl}/ok/%2e%2e/500`, `${siteUrl}/okay`, `http://127.0.0.1:${redis.port}/`]) {
      const record = await runOne(listed, { adapter: 'http', url });
      expect(record.error?.code, url).toBe('ADDRESS_NOT_ALLOWED');
    }
    expect(siteHits).toBe(hits);
    const ok = await runOne(listed, { adapter: 'http', url: `${siteUrl}/ok/x` });
    expect(ok.status).toBe('completed');
  });

  it('refuses a ws address with credentials even when its host is listed (ADDRESS_CREDENTIALS), connecting nowhere', async () => {
    const record = await runOne(listed, { adapter: 'ws', url: `ws://allowed.test:${SECRET}@127.0.0.1:${wsPort}/` });
    expect(record.error.code).toBe('ADDRESS_CREDENTIALS');
    expect(record.error.message).toMatch(/username and password/);
    expect(wsConnections).toBe(0);
  });

  it('drops a 50 MB answer from a listed endpoint with SEND_FAILED; the record stays small and memory bounded', async () => {
    const rssBefore = process.memoryUsage().rss;
    const record = await runOne(listed, { adapter: 'http', url: `${siteUrl}/big` });
    // Read whole, the answer alone would add 50 MB (and its string copy as much again).
    const grown = process.memoryUsage().rss - rssBefore;
    expect(grown).toBeLessThan(32 * 1024 * 1024);
    expect(record.status).toBe('faulted');
    expect(record.error.code).toBe('SEND_FAILED');
    expect(record.error.message).toMatch(/answer larger than 1048576 bytes/);
    expect(JSON.stringify(record).length).toBeLessThan(16 * 1024);
    const faults = await faultViews(listed);
    expect(faults.length).toBeLessThan(256 * 1024);
  });

  it('never shows a secret in records, faults or log lines, and both buses still answer', async () => {
    for (const b of [plain, listed]) {
      expect(await faultViews(b)).not.toContain(SECRET);
      expect(b.logs.length).toBeGreaterThan(0);
      const leaking = b.logs.filter((l) => l.includes(SECRET));
      expect(leaking).toEqual([]);
      expect((await http(`${b.bus.url}/health/live`)).status).toBe(200);
    }
    // The masked form is what operators see instead.
    expect(plain.logs.some((l) => l.includes('apikey=***'))).toBe(true);
  });
});
