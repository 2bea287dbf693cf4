import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLES_DIR, http, startCluster, startTestBus, waitFor, type Cluster } from '@itinera/testing';

/**
 * Isolation between endpoints (OWASP API4, unrestricted resource consumption), black box
 * against the embedded bus with its default limits: 300 messages to an endpoint that never
 * answers must delay only their own endpoint. Messages to another endpoint complete about as
 * fast as without that load, the open circuit shows in /metrics, and each of the 300 ends
 * faulted by its step's policy (no retry here), none stuck.
 */

const TIMEOUT_MS = 1000;
const HANGING = 300;
/** Below the endpoint's concurrency, so the fast messages never wait for each other. */
const FAST = 8;

/** Sends route to the URL in the body: the endpoint is the caller's to choose (within the allow-list). */
const ISOLATION_ITINERARY = {
  name: 'isolation',
  version: '1.0.0',
  description: 'Endpoint isolation test: deliver the body to the URL it names.',
  steps: [
    {
      id: 'pick',
      service: 'transform',
      options: { target: 'context.endpoint', expression: `{ "adapter": "http", "address": body.url, "config": "timeoutMs=${TIMEOUT_MS}" }` },
    },
    { id: 'deliver', service: 'send' },
  ],
};

/** A local endpoint: `/hang/…` never answers, `/fast/…` answers at once and notes when each message arrived. */
async function endpoints(): Promise<{ url: string; server: Server; arrived: Map<string, number>; hanging: Set<ServerResponse> }> {
  const arrived = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    if (req.url?.startsWith('/hang')) {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    arrived.set(String(req.headers['itinera-message-id']), performance.now());
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server, arrived, hanging };
}

describe('a hanging endpoint delays only its own messages', () => {
  let bus: Awaited<ReturnType<typeof startTestBus>>;
  let ep: Awaited<ReturnType<typeof endpoints>>;
  let dir: string;

  beforeAll(async () => {
    ep = await endpoints();
    dir = mkdtempSync(join(tmpdir(), 'itinera-isolation-'));
    cpSync(SAMPLES_DIR, dir, { recursive: true });
    writeFileSync(join(dir, 'isolation.json'), JSON.stringify(ISOLATION_ITINERARY, null, 2));
    bus = await startTestBus({
      itinerariesDir: dir,
      env: {
        ITINERA_SEND_ALLOWLIST: `${ep.url}/`,
        // Open for the whole test (half-opening is the unit spec's): a slow machine must not see a trial call here.
        ITINERA_BREAKER_HALF_OPEN_MS: '120000',
      },
    });
  });
  afterAll(async () => {
    await bus?.close();
    for (const res of ep?.hanging ?? []) res.destroy();
    ep?.server.closeAllConnections();
    ep?.server.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const post = async (url: string): Promise<string> => {
    const res = await http(`${bus.url}/itineraries/isolation/messages`, { body: { url } });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    return res.headers.get('itinera-message-id')!;
  };

  /** Post `n` messages to the fast route one after another; each one's latency is post → arrival at the endpoint. */
  async function fastLatencies(n: number, tag: string): Promise<number[]> {
    const sent = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const t0 = performance.now();
        return { id: await post(`${ep.url}/fast/${tag}-${i}`), t0 };
      }),
    );
    await waitFor(() => sent.every((s) => ep.arrived.has(s.id)) || undefined, `the ${tag} fast messages to arrive`, 30_000);
    return sent.map((s) => ep.arrived.get(s.id)! - s.t0);
  }

  const record = async (id: string) => (await http(`${bus.url}/messages/${id}`)).body;
  const metrics = async () => (await http(`${bus.url}/metrics`)).body as string;

  it('keeps the other endpoint fast, opens the circuit, and faults every hanging message by policy', async () => {
    // Warm-up, then the figure without load.
    await fastLatencies(5, 'warm');
    const baseline = await fastLatencies(FAST, 'baseline');

    // 300 messages to the endpoint that never answers, all accepted; then unrelated messages,
    // behind them in the same work queue.
    const hangingIds: string[] = [];
    for (let i = 0; i < HANGING; i += 50)
      hangingIds.push(...(await Promise.all(Array.from({ length: Math.min(50, HANGING - i) }, (_, j) => post(`${ep.url}/hang/${i + j}`)))));
    expect(hangingIds).toHaveLength(HANGING);
    const loaded = await fastLatencies(FAST, 'loaded');

    const worst = (xs: number[]) => Math.max(...xs);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    /** Generous: ten times the unloaded figure, and never less than it plus two hanging calls' timeouts. */
    const bound = (xs: number[]) => Math.max(10 * worst(xs), worst(xs) + 2 * TIMEOUT_MS);
    console.info(
      `endpoint isolation: fast latency without load median ${median(baseline).toFixed(1)} ms, worst ${worst(baseline).toFixed(1)} ms;` +
        ` behind ${HANGING} hanging messages median ${median(loaded).toFixed(1)} ms, worst ${worst(loaded).toFixed(1)} ms`,
    );
    // Without isolation the fast messages wait for the hanging ones' timeouts (300 / 16 worker slots
    // × 1 s: 16 s when measured so); with it, at most for the hanging endpoint's waiters to give up
    // (500 ms) and the rest to be refused.
    expect(worst(loaded)).toBeLessThan(bound(baseline));

    // Every hanging message ends faulted by its step's policy (no retries here): none stuck, none lost.
    const settled = await waitFor(
      async () => {
        const records = await Promise.all(hangingIds.map(record));
        return records.every((r) => r.status === 'faulted') ? records : undefined;
      },
      'every hanging message to fault',
      3 * TIMEOUT_MS + 10_000,
      200,
    );
    const codes = new Map<string, number>();
    for (const r of settled) {
      const code = r.trace.at(-1).error.code as string;
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    console.info(`endpoint isolation: the ${HANGING} hanging messages faulted with ${JSON.stringify(Object.fromEntries(codes))}`);
    expect([...codes.keys()].every((c) => ['SEND_FAILED', 'ENDPOINT_BUSY', 'CIRCUIT_OPEN'].includes(c))).toBe(true);
    // Which of the two refusals stops most of them depends on how fast the 300 arrive; refused they are.
    expect((codes.get('ENDPOINT_BUSY') ?? 0) + (codes.get('CIRCUIT_OPEN') ?? 0)).toBeGreaterThan(HANGING / 2);
    expect(codes.get('SEND_FAILED') ?? 0).toBeGreaterThanOrEqual(5);
    expect(ep.hanging.size).toBe(0);

    // The circuit is open in /metrics; the fast endpoint's stays closed.
    const port = new URL(ep.url).port;
    const text = await metrics();
    const series = text.split('\n').filter((l) => l.startsWith('itinera_endpoint_'));
    const hang = `endpoint="http:http://127.0.0.1:${port}/hang"`;
    expect(series).toEqual(
      expect.arrayContaining([
        `itinera_endpoint_circuit_state{${hang}} 1`,
        `itinera_endpoint_circuit_state{endpoint="http:http://127.0.0.1:${port}/fast"} 0`,
        `itinera_endpoint_in_flight{${hang}} 0`,
        expect.stringMatching(
          new RegExp(`^itinera_endpoint_rejected_total\\{${hang.replace(/[.:/]/g, '\\$&')},reason="(ENDPOINT_BUSY|CIRCUIT_OPEN)"\\} [1-9]`),
        ),
      ]),
    );

    // While it is open, a message to that endpoint faults at once with CIRCUIT_OPEN, and its trace says why.
    const late = await post(`${ep.url}/hang/late`);
    const faulted = await waitFor(async () => ((await record(late)).status === 'faulted' ? record(late) : undefined), 'the late message to fault', 5000);
    const entry = faulted.trace.find((t: { step: string }) => t.step === 'deliver');
    expect(entry.error.code).toBe('CIRCUIT_OPEN');
    expect(entry.error.message).toMatch(/circuit for endpoint http:http:\/\/127\.0\.0\.1:\d+\/hang is open after 5 consecutive failures/);
    expect(await metrics()).toMatch(/itinera_endpoint_rejected_total\{endpoint="[^"]+\/hang",reason="CIRCUIT_OPEN"\} [1-9]/);
    // The other endpoint still works.
    expect(worst(await fastLatencies(5, 'after'))).toBeLessThan(bound(baseline));
  }, 90_000);
});

/**
 * On BullMQ each worker process has its own bulkheads and breakers (as with Polly or
 * cockatiel): every worker that met the hanging endpoint opens its own circuit, and no
 * message is lost across the processes.
 */
describe('on the BullMQ cluster, each worker isolates on its own', () => {
  let cluster: Cluster;
  let ep: Awaited<ReturnType<typeof endpoints>>;
  let dir: string;

  beforeAll(async () => {
    ep = await endpoints();
    dir = mkdtempSync(join(tmpdir(), 'itinera-isolation-cluster-'));
    cpSync(SAMPLES_DIR, dir, { recursive: true });
    writeFileSync(join(dir, 'isolation.json'), JSON.stringify(ISOLATION_ITINERARY, null, 2));
    cluster = await startCluster({
      gateways: 1,
      workers: 2,
      itinerariesDir: dir,
      env: { ITINERA_SEND_ALLOWLIST: `${ep.url}/`, ITINERA_BREAKER_HALF_OPEN_MS: '120000', ITINERA_LOG_LEVEL: 'warn' },
    });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    for (const res of ep?.hanging ?? []) res.destroy();
    ep?.server.closeAllConnections();
    ep?.server.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens a circuit per worker, keeps the fast endpoint working, and faults every hanging message', async () => {
    const gw = cluster.gateways[0].url;
    const post = async (url: string): Promise<string> => {
      const res = await http(`${gw}/itineraries/isolation/messages`, { body: { url } });
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
      return res.headers.get('itinera-message-id')!;
    };
    const hangingIds: string[] = [];
    for (let i = 0; i < 120; i += 40) hangingIds.push(...(await Promise.all(Array.from({ length: 40 }, (_, j) => post(`${ep.url}/hang/c${i + j}`)))));
    const fastIds = await Promise.all(Array.from({ length: 8 }, (_, i) => post(`${ep.url}/fast/c${i}`)));

    await waitFor(() => fastIds.every((id) => ep.arrived.has(id)) || undefined, 'the fast messages to arrive', 30_000);
    const records = await waitFor(
      async () => {
        const all = await Promise.all(hangingIds.map(async (id) => (await http(`${gw}/messages/${id}`)).body));
        return all.every((r) => r.status === 'faulted') ? all : undefined;
      },
      'every hanging message to fault',
      30_000,
      250,
    );
    const codes = new Set(records.map((r) => r.trace.at(-1).error.code));
    expect([...codes].every((c) => ['SEND_FAILED', 'ENDPOINT_BUSY', 'CIRCUIT_OPEN'].includes(c))).toBe(true);

    // Each worker that ran hanging calls opened its own circuit after its own failures.
    const port = new URL(ep.url).port;
    const states = await Promise.all(
      cluster.workers.map(async (w) => {
        const text = (await http(`${w.url}/metrics`)).body as string;
        return /itinera_endpoint_circuit_state\{endpoint="[^"]+\/hang"\} (\d)/.exec(text)?.[1];
      }),
    );
    console.info(`endpoint isolation on BullMQ: the hanging circuit per worker: ${JSON.stringify(states)}`);
    expect(states.filter((s) => s !== undefined).length).toBeGreaterThan(0);
    expect(
      states.filter((s) => s !== undefined).every((s) => s === '1'),
      `hang circuit per worker on port ${port}: ${states}`,
    ).toBe(true);
  }, 120_000);
});
