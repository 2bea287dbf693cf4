import { connect } from 'node:net';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { RawDuplex, SAMPLES_DIR, http, startTestBus, type TestBusOptions } from '@itinera/testing';

/**
 * Helpers shared by the robustness tests: a bus with the samples plus a `probe`
 * itinerary that runs the body through JSONata ($merge, the transform operator,
 * $spread) and answers with it, a seeded PRNG, and the checks every answer to bad
 * input must pass.
 */

/** The samples plus `probe`: receive-stage JSONata over whatever body comes in, replied as is, then an Echo callback. */
export const PROBE_ITINERARY = {
  name: 'probe',
  version: '1.0.0',
  description: 'Robustness tests: JSONata over arbitrary bodies.',
  steps: [
    { id: 'merge', service: 'transform', stage: 'receive', options: { expression: "$type(body) = 'object' ? $merge([{}, body, { 'merged': true }]) : body" } },
    { id: 'patch', service: 'transform', stage: 'receive', options: { expression: "$type(body) = 'object' ? body ~> | $ | { 'patched': true } | : body" } },
    { id: 'spread', service: 'transform', stage: 'receive', options: { target: 'context.parts', expression: "$type(body) = 'object' ? $spread(body) : []" } },
    { id: 'reply', service: 'reply', stage: 'receive' },
    { id: 'echo', service: 'callback', options: { action: 'Echo' } },
  ],
};

export type TestBus = Awaited<ReturnType<typeof startTestBus>>;

/** Start a bus on a copy of the samples with the probe itinerary added. */
export async function startProbeBus(opts: TestBusOptions = {}): Promise<TestBus & { dir: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'itinera-robustness-'));
  cpSync(SAMPLES_DIR, dir, { recursive: true });
  writeFileSync(join(dir, 'probe.json'), JSON.stringify(PROBE_ITINERARY, null, 2));
  const bus = await startTestBus({ itinerariesDir: dir, ...opts });
  return Object.assign(bus, {
    dir,
    async stop() {
      await bus.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** mulberry32: small, seeded, so a failing case can be replayed from its seed and index. */
export function prng(seed: number): { next(): number; int(n: number): number; pick<T>(xs: readonly T[]): T } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]! };
}

/** `depth` nested arrays as JSON text. */
export const nestedArrays = (depth: number, inner = ''): string => '['.repeat(depth) + inner + ']'.repeat(depth);
/** `depth` nested objects `{"a":{"a":…}}` as a JS value. */
export function nestedObjects(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

/** Text that would betray an internal failure if it reached a client. */
const LEAKS = [
  /Cannot read propert/i,
  /is not a function/i,
  /is not iterable/i,
  /\bundefined\b.*\bundefined\b/,
  /\n\s+at\s/,
  /TypeError|RangeError|ReferenceError/,
  /Maximum call stack/i,
  /node_modules/,
];

/** A message for a client: a non-empty string with no stack, no JS error text. */
export function expectReadable(message: unknown, context: string): void {
  expect(typeof message, context).toBe('string');
  expect((message as string).length, context).toBeGreaterThan(0);
  for (const leak of LEAKS) expect(message as string, `${context}: leaks ${leak}`).not.toMatch(leak);
}

export const STABLE_CODE = /^[A-Z][A-Z0-9_]+$/;

/** An HTTP answer to bad input: 4xx problem+json with a stable code and a readable detail. */
export function expectClientProblem(res: { status: number; headers: Headers; body: any }, context: string): void {
  expect(res.status, `${context}: ${JSON.stringify(res.body)?.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${context}: ${JSON.stringify(res.body)?.slice(0, 300)}`).toBeLessThan(500);
  expect(res.headers.get('content-type'), context).toMatch(/^application\/problem\+json/);
  expect(res.body?.code, context).toMatch(STABLE_CODE);
  expect(res.body?.status, context).toBe(res.status);
  expectReadable(res.body?.detail, context);
  for (const e of res.body?.errors ?? []) expectReadable(e.message, `${context} ${e.pointer}`);
}

/** A duplex error frame: a stable code, a readable message. */
export function expectErrorFrame(frame: any, context: string): void {
  expect(frame?.type, `${context}: ${JSON.stringify(frame)?.slice(0, 300)}`).toBe('error');
  expect(frame.error?.code, context).toMatch(STABLE_CODE);
  expect(frame.error?.code, context).not.toBe('INTERNAL');
  expectReadable(frame.error?.message, context);
}

/** Nothing reached Object.prototype. */
export function expectNoPollution(context: string): void {
  const probe = {} as Record<string, unknown>;
  expect(probe.polluted, context).toBeUndefined();
  expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), context).toBe(false);
  expect(Object.keys(Object.prototype), context).toEqual([]);
}

export async function expectAlive(url: string, context: string): Promise<void> {
  const res = await http(`${url}/health/live`);
  expect(res.status, `${context}: /health/live`).toBe(200);
}

/**
 * A well-behaved calculator client on its own WebSocket session: each `add` must give
 * exactly the running total, whatever else the bus is being sent.
 */
export class CalculatorClient {
  private total = 0;
  private n = 0;
  private constructor(private readonly client: RawDuplex) {}

  static async open(url: string): Promise<CalculatorClient> {
    const client = await RawDuplex.open(url);
    expect(client.session, 'calculator client welcome').toBeTruthy();
    return new CalculatorClient(client);
  }

  /** Add `k`, expect `accepted` and the Result callback with the running total; ack it. */
  async add(k: number, context: string): Promise<void> {
    const id = `calc-${++this.n}`;
    const answer = await this.client.call(id, 'calculator', 'AddTo', { n: k });
    expect(answer.type, `${context}: ${JSON.stringify(answer)}`).toBe('accepted');
    this.total += k;
    const cb = await this.client.next((f) => (f.type === 'callback' || f.type === 'fault') && f.correlationId === answer.correlationId);
    expect(cb, context).toMatchObject({ type: 'callback', action: 'Result', body: { result: this.total } });
    this.client.send({ type: 'ack', seq: cb.seq });
  }

  /** Every callback this client saw, in order: exactly one per add, seq 1..n without gaps. */
  expectExactly(context: string): void {
    const cbs = this.client.callbacks();
    expect(
      cbs.map((f) => f.seq),
      context,
    ).toEqual(cbs.map((_f, i) => i + 1));
    expect(cbs.length, context).toBe(this.n);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** Write raw bytes on a TCP connection; resolves with everything read until the server closes or `ms` passes. */
export function rawExchange(port: number, data: Buffer | string, ms = 1000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(out);
    };
    const timer = setTimeout(done, ms);
    socket.on('data', (d) => (out += d.toString('latin1')));
    socket.on('error', done);
    socket.on('close', done);
    socket.write(data);
  });
}

export const portOf = (url: string): number => Number(new URL(url).port);
