import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawDuplex, http, sleep, startTestBus } from '@itinera/testing';

/**
 * Per-address limits behind a proxy (ITINERA_TRUST_PROXY): from a trusted peer the
 * client is the X-Forwarded-For address; from an untrusted one the peer itself, whatever
 * the header says. IPv6 clients count by their /64.
 */

type Bus = Awaited<ReturnType<typeof startTestBus>>;
const ENV = { ITINERA_MESSAGE_RATE: '3', ITINERA_MAX_SESSIONS_PER_ADDRESS: '2' };

/** POST n messages to an unknown itinerary (cheap: refused after the limits) as `client`; the statuses. */
async function burst(bus: Bus, client: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await http(`${bus.url}/itineraries/no-such/messages`, { body: { i }, headers: { 'x-forwarded-for': client } })).status);
  return out;
}

const limited = (statuses: number[]) => statuses.filter((s) => s === 429).length;

describe('behind a trusted proxy (ITINERA_TRUST_PROXY=loopback)', () => {
  let bus: Bus;
  beforeAll(async () => {
    bus = await startTestBus({ env: { ...ENV, ITINERA_TRUST_PROXY: 'loopback' } });
  });
  afterAll(async () => bus?.close());

  it('HTTP messages count per forwarded client: one exhausting its budget leaves another untouched', async () => {
    await sleep(1100);
    const a = await burst(bus, '198.51.100.7', 5);
    expect(a.slice(0, 3).every((s) => s === 404)).toBe(true);
    expect(limited(a)).toBe(2);
    expect(limited(await burst(bus, '198.51.100.8', 3))).toBe(0);
    // The proxy's own line (client, then proxies) names the client first.
    expect(limited(await burst(bus, '198.51.100.9, 10.0.0.1', 3))).toBe(0);
  });

  it('IPv6 clients count by their /64: rotating within it does not buy a new budget', async () => {
    await sleep(1100);
    const first = await burst(bus, '2001:db8:1:2::1', 3);
    expect(limited(first)).toBe(0);
    expect(limited(await burst(bus, '2001:db8:1:2::beef', 2))).toBe(2);
    expect(limited(await burst(bus, '2001:db8:1:3::1', 3))).toBe(0);
  });

  it('WebSocket sessions count per forwarded client (the upgrade request trusts the same peers)', async () => {
    const open = (client: string) => RawDuplex.open(bus.url, { type: 'hello' }, { 'x-forwarded-for': client });
    const mine = [await open('203.0.113.5'), await open('203.0.113.5'), await open('203.0.113.5')];
    expect(mine.map((d) => Boolean(d.session))).toEqual([true, true, false]);
    expect(mine[2]!.frames.find((f) => f.type === 'error')?.error.code).toBe('RATE_LIMITED');
    const other = await open('203.0.113.6');
    expect(other.session).toBeDefined();
    await Promise.all([...mine, other].map((d) => d.close()));
  });

  it('long-polling sessions too (req.ip)', async () => {
    const open = (client: string) => http(`${bus.url}/duplex/sessions`, { method: 'POST', headers: { 'x-forwarded-for': client } });
    const mine = [await open('203.0.113.10'), await open('203.0.113.10'), await open('203.0.113.10')];
    expect(mine.map((r) => r.status)).toEqual([201, 201, 429]);
    expect((await open('203.0.113.11')).status).toBe(201);
  });
});

describe('without trusted proxies (the default)', () => {
  let bus: Bus;
  beforeAll(async () => {
    bus = await startTestBus({ env: ENV });
  });
  afterAll(async () => bus?.close());

  it('X-Forwarded-For is ignored: every request counts against the peer', async () => {
    await sleep(1100);
    expect(limited(await burst(bus, '198.51.100.7', 3))).toBe(0);
    expect(limited(await burst(bus, '198.51.100.8', 3))).toBe(3);
  });

  it('so are WebSocket upgrades', async () => {
    const a = await RawDuplex.open(bus.url, { type: 'hello' }, { 'x-forwarded-for': '203.0.113.5' });
    const b = await RawDuplex.open(bus.url, { type: 'hello' }, { 'x-forwarded-for': '203.0.113.6' });
    const c = await RawDuplex.open(bus.url, { type: 'hello' }, { 'x-forwarded-for': '203.0.113.7' });
    expect([a, b, c].map((d) => Boolean(d.session))).toEqual([true, true, false]);
    await Promise.all([a, b, c].map((d) => d.close()));
  });
});
