import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ItineraError, silentLogger, type InvokeHandler } from '@itinera/core';
import { ItineraStep, loadConfig, startNode, type BusConfig, type BusRoles, type StartedNode } from '@itinera/runtime';
import { SAMPLES_DIR, http, startRedis, waitFor, type HttpAnswer, type RedisServer } from '@itinera/testing';
import { SAMPLE_STEPS } from '../../itineraries/extensions';

/**
 * The "smaller" points, black box against a running bus: readiness when Redis
 * refuses writes, 431 as problem+json, `+json` media types, Idempotency-Key limits and
 * key order, and the text of a fault whose retries are spent.
 */

/** A step whose downstream is always busy: a transient error that promises a retry. */
@ItineraStep('always-busy')
@Injectable()
class AlwaysBusyStep implements InvokeHandler {
  run(): void {
    throw new ItineraError('SEND_FAILED', 'POST http://stock.example/reserve answered 503; the step will be retried', { transient: true });
  }
}

const ITINERARIES = {
  // Answers with the body before publication, then one send-stage step: accepted messages go through the box.
  'small-echo': {
    name: 'small-echo',
    version: '1.0.0',
    steps: [
      { id: 'reply', service: 'reply', stage: 'receive' },
      { id: 'touch', service: 'transform', options: { target: 'context.touched', expression: 'true' } },
    ],
  },
  flaky: {
    name: 'flaky',
    version: '1.0.0',
    steps: [{ id: 'reserve', service: 'invoke', options: { name: 'always-busy' }, retry: { attempts: 3, backoffMs: 5 } }],
  },
};

async function startBus(
  overrides: Partial<BusConfig> = {},
  roles: BusRoles = { gateway: true, worker: true },
): Promise<StartedNode & { url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'itinera-small-'));
  cpSync(SAMPLES_DIR, dir, { recursive: true });
  for (const [name, def] of Object.entries(ITINERARIES)) writeFileSync(join(dir, `${name}.json`), JSON.stringify(def));
  const config = loadConfig({ ITINERA_LOG_LEVEL: 'silent' } as NodeJS.ProcessEnv, { port: 0, host: '127.0.0.1', itinerariesDir: dir, ...overrides });
  const node = await startNode({ roles, steps: [...SAMPLE_STEPS, AlwaysBusyStep], config, logger: silentLogger });
  return Object.assign(node as StartedNode & { url: string }, {
    async stop() {
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

function expectProblem(res: HttpAnswer, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)?.slice(0, 300)).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code });
  expect(typeof res.body.detail).toBe('string');
}

/** Write a raw request; resolve with everything the server sent before it closed. */
function rawExchange(port: number, data: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => socket.destroy(), 3000);
    socket.on('data', (d) => (out += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.write(data);
  });
}

describe('smaller hardening (embedded bus)', () => {
  let bus: Awaited<ReturnType<typeof startBus>>;
  beforeAll(async () => {
    bus = await startBus();
  });
  afterAll(async () => bus?.stop());

  const echo = (body: unknown, headers: Record<string, string> = {}) => http(`${bus.url}/itineraries/small-echo/messages`, { body, headers });

  it('20 KB of request headers: 431 HEADERS_TOO_LARGE as problem+json, and the process keeps serving', async () => {
    const port = Number(new URL(bus.url).port);
    const pad = Array.from({ length: 20 }, (_, i) => `X-Pad-${i}: ${'p'.repeat(1024)}\r\n`).join('');
    for (let i = 0; i < 50; i++) {
      const answer = await rawExchange(
        port,
        `POST /itineraries/small-echo/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${pad}Content-Length: 2\r\n\r\n{}`,
      );
      const [head, body] = answer.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
      expect(head).toMatch(/\r\nContent-Type: application\/problem\+json/i);
      expect(JSON.parse(body)).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE', type: '/problems/headers-too-large' });
    }
    // Each refused connection is closed by the server, none is left holding its buffers.
    const server = (bus.app as unknown as { getHttpServer(): Server }).getHttpServer();
    await waitFor(() => new Promise<boolean>((resolve) => server.getConnections((_e, n) => resolve(n === 0))), 'refused connections to close');
    expect((await http(`${bus.url}/health/live`)).status).toBe(200);
    expect((await echo({ after: 'headers' })).status).toBe(200);
  });

  it('application/*+json bodies are JSON; other types stay 415', async () => {
    for (const type of ['application/vnd.api+json', 'application/cloudevents+json; charset=utf-8', 'Application/Merge-Patch+JSON']) {
      const res = await http(`${bus.url}/itineraries/small-echo/messages`, { raw: '{"data":{"type":"orders","id":"1"}}', headers: { 'content-type': type } });
      expect(res.status, type).toBe(200);
      expect(res.body, type).toEqual({ data: { type: 'orders', id: '1' } });
    }
    const bad = await http(`${bus.url}/itineraries/small-echo/messages`, { raw: '{"data":', headers: { 'content-type': 'application/vnd.api+json' } });
    expectProblem(bad, 400, 'INVALID_JSON');
    const poisoned = await http(`${bus.url}/itineraries/small-echo/messages`, {
      raw: '{"__proto__":{"x":1}}',
      headers: { 'content-type': 'application/vnd.api+json' },
    });
    expectProblem(poisoned, 400, 'INVALID_JSON');
    for (const type of ['application/jsonx', 'text/plain+json', 'application/+json', 'application/xml']) {
      expectProblem(await http(`${bus.url}/itineraries/small-echo/messages`, { raw: '{}', headers: { 'content-type': type } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('a 15 KB Idempotency-Key is INVALID_IDEMPOTENCY_KEY 400 and is not echoed', async () => {
    const key = 'k'.repeat(15 * 1024);
    const res = await echo({ n: 1 }, { 'idempotency-key': key });
    expectProblem(res, 400, 'INVALID_IDEMPOTENCY_KEY');
    expect(JSON.stringify(res.body).length).toBeLessThan(600);
    expect(res.body.detail).toContain('15360 characters');
    for (const bad of ['has space', 'caf\u00e9'.normalize('NFC')]) {
      // fetch refuses non-Latin-1 header values; é is Latin-1, so it reaches the server.
      expectProblem(await echo({ n: 1 }, { 'idempotency-key': bad }), 400, 'INVALID_IDEMPOTENCY_KEY');
    }
  });

  it('a 409 names only a short prefix of the key', async () => {
    const key = 'order-' + 'x'.repeat(249);
    expect(key.length).toBe(255);
    const first = await echo({ n: 1 }, { 'idempotency-key': key });
    expect(first.status).toBe(200);
    const conflict = await echo({ n: 2 }, { 'idempotency-key': key });
    expectProblem(conflict, 409, 'IDEMPOTENCY_CONFLICT');
    expect(conflict.body.detail).not.toContain(key);
    expect(conflict.body.detail).toContain(`"${key.slice(0, 32)}…"`);
  });

  it('the same body with its keys in another order is the same request; a changed value is 409', async () => {
    const key = `reorder-${Date.now()}`;
    const body = {
      order: {
        id: 7,
        lines: [
          { sku: 'a', qty: 1 },
          { sku: 'b', qty: 2 },
        ],
      },
      customer: 'c-1',
    };
    const reordered = {
      customer: 'c-1',
      order: {
        lines: [
          { qty: 1, sku: 'a' },
          { qty: 2, sku: 'b' },
        ],
        id: 7,
      },
    };
    const first = await echo(body, { 'idempotency-key': key });
    expect(first.status).toBe(200);
    const again = await echo(reordered, { 'idempotency-key': key });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('itinera-message-id')).toBe(first.headers.get('itinera-message-id'));
    // Array order is meaning, and so is every value.
    const swapped = { ...reordered, order: { ...reordered.order, lines: [...reordered.order.lines].reverse() } };
    expectProblem(await echo(swapped, { 'idempotency-key': key }), 409, 'IDEMPOTENCY_CONFLICT');
    expectProblem(await echo({ ...reordered, customer: 'c-2' }, { 'idempotency-key': key }), 409, 'IDEMPOTENCY_CONFLICT');
  });

  it('a fault whose retries are spent says so, with the attempt count', async () => {
    const res = await http(`${bus.url}/itineraries/flaky/messages`, { body: { sku: 'a' } });
    expect(res.status).toBe(202);
    const record = await waitFor(async () => {
      const r = await http(`${bus.url}/messages/${res.body.messageId}`);
      return r.body?.status === 'faulted' ? r.body : undefined;
    }, 'the flaky message to fault');
    expect(record.error.code).toBe('SEND_FAILED');
    expect(record.error.message).toMatch(/retries are exhausted after 3 attempts/);
    expect(record.error.message).not.toMatch(/will be retried/);
    const outcomes = record.trace.filter((t: { step: string }) => t.step === 'reserve').map((t: { outcome: string }) => t.outcome);
    expect(outcomes).toEqual(['retried', 'retried', 'faulted']);
    // The retried entries keep the step's own words; only the last one says no retry follows.
    expect(record.trace.at(-1).error.message).toBe(record.error.message);
  });
});

describe('readiness when Redis refuses writes (maxmemory, noeviction)', () => {
  let redis: RedisServer;
  let admin: Redis;
  let bus: Awaited<ReturnType<typeof startBus>>;
  let worker: Awaited<ReturnType<typeof startBus>>;
  beforeAll(async () => {
    redis = await startRedis({ appendonly: false });
    admin = new Redis(redis.url);
    bus = await startBus({ transport: 'bullmq', redisUrl: redis.url });
    // A worker-only node serves health on its own port.
    worker = await startBus({ transport: 'bullmq', redisUrl: redis.url }, { gateway: false, worker: true });
  });
  afterAll(async () => {
    await worker?.stop();
    await bus?.stop();
    admin?.disconnect();
    await redis?.stop();
  });

  it('is 503 REDIS_OUT_OF_MEMORY while Redis is full, and ready again once memory is freed; nothing accepted is lost', async () => {
    expect((await http(`${bus.url}/health/ready`)).status).toBe(200);
    const before = await http(`${bus.url}/itineraries/small-echo/messages`, { body: { n: 'before' } });
    expect(before.status).toBe(200);

    const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
    // Room for a few MB more: the bus needs 1 MB free to call itself ready.
    await admin.config('SET', 'maxmemory', String(used + 4 * 1024 * 1024));
    const filler = 'f'.repeat(16 * 1024);
    let filled = 0;
    for (;;) {
      const err = await admin.set(`filler:${filled}`, filler).then(
        () => undefined,
        (e: Error) => e,
      );
      if (err) {
        expect(err.message).toMatch(/^OOM /);
        break;
      }
      filled++;
      expect(filled, 'Redis should refuse writes before 2000 x 16 KB').toBeLessThan(2000);
    }

    const full = await http(`${bus.url}/health/ready`);
    expectProblem(full, 503, 'REDIS_OUT_OF_MEMORY');
    expect(full.body.detail).toMatch(/maxmemory/);
    expectProblem(await http(`${worker.url}/health/ready`), 503, 'REDIS_OUT_OF_MEMORY');
    // Just under the limit a small write may still land: the on-ramp answers 2xx only for what
    // Redis stored, and 503 problem+json once it refuses. Every 2xx must complete later.
    const accepted: HttpAnswer[] = [before];
    let refused: HttpAnswer | undefined;
    for (let i = 0; i < 50 && !refused; i++) {
      const res = await http(`${bus.url}/itineraries/small-echo/messages`, { body: { n: i, pad: 'p'.repeat(8 * 1024) } });
      if (res.status === 200) accepted.push(res);
      else refused = res;
    }
    expect(refused?.status).toBe(503);
    expect(refused?.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(['REDIS_OUT_OF_MEMORY', 'TRANSPORT_UNAVAILABLE']).toContain(refused?.body.code);

    for (let i = 0; i < filled; i += 100) {
      const keys = Array.from({ length: Math.min(100, filled - i) }, (_, j) => `filler:${i + j}`);
      await admin.unlink(...keys);
    }
    expect((await http(`${bus.url}/health/ready`)).status).toBe(200);
    expect((await http(`${worker.url}/health/ready`)).body).toEqual({ status: 'ready' });
    const after = await http(`${bus.url}/itineraries/small-echo/messages`, { body: { n: 'after' } });
    expect(after.status).toBe(200);
    for (const res of [...accepted, after]) {
      const id = res.headers.get('itinera-message-id');
      await waitFor(async () => (await http(`${bus.url}/messages/${id}`)).body?.status === 'completed', `message ${id} to complete`);
    }
  });
});
