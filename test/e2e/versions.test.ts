import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawDuplex, SAMPLES_DIR, http, startTestBus, waitFor } from '@itinera/testing';

/**
 * Two versions of the calculator side by side: 2.0.0 answers with a `Total` callback.
 * No version runs the latest; a pinned version runs that one.
 */
describe('itinerary versions', () => {
  let dir: string;
  let bus: Awaited<ReturnType<typeof startTestBus>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'itinera-versions-'));
    cpSync(SAMPLES_DIR, dir, { recursive: true });
    const v1 = JSON.parse(readFileSync(join(SAMPLES_DIR, 'calculator.json'), 'utf8'));
    const v2 = structuredClone(v1);
    v2.version = '2.0.0';
    v2.steps.find((s: any) => s.id === 'result').options.action = 'Total';
    writeFileSync(join(dir, 'calculator-2.json'), JSON.stringify(v2));
    // A 1.10.0 sorts above 1.9.0 (semver, not string order) but below 2.0.0.
    writeFileSync(join(dir, 'calculator-1.10.json'), JSON.stringify({ ...v1, version: '1.10.0' }));
    bus = await startTestBus({ itinerariesDir: dir });
  });
  afterAll(async () => {
    await bus?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every deployed version, latest by semver', async () => {
    const list = await http(`${bus.url}/itineraries`);
    const calc = list.body.itineraries.find((i: any) => i.name === 'calculator');
    expect(calc.latest).toBe('2.0.0');
    expect(calc.versions).toEqual(expect.arrayContaining(['1.0.0', '1.10.0', '2.0.0']));
    expect((await http(`${bus.url}/itineraries/calculator?version=1.0.0`)).body.version).toBe('1.0.0');
  });

  it('no version runs the latest; a pinned version runs that one, over HTTP and duplex', async () => {
    const latest = await http(`${bus.url}/itineraries/calculator/messages`, { body: { n: 1 }, headers: { 'itinera-action': 'AddTo' } });
    expect(latest.body.itinerary).toBe('calculator@2.0.0');
    const pinned = await http(`${bus.url}/itineraries/calculator/messages?version=1.0.0`, { body: { n: 1 }, headers: { 'itinera-action': 'AddTo' } });
    expect(pinned.body.itinerary).toBe('calculator@1.0.0');
    // Without a session the calculator faults NO_SESSION (it keeps per-session state), still on 1.0.0.
    await waitFor(
      async () => ['completed', 'faulted'].includes((await http(`${bus.url}/messages/${pinned.body.messageId}`)).body.status),
      'the pinned message',
    );
    expect((await http(`${bus.url}/messages/${pinned.body.messageId}`)).body.itinerary).toBe('calculator@1.0.0');

    const c = await RawDuplex.open(bus.url);
    c.send({ type: 'send', id: 'a', itinerary: 'calculator', version: '1.0.0', action: 'AddTo', body: { n: 2 } });
    c.send({ type: 'send', id: 'b', itinerary: 'calculator', action: 'AddTo', body: { n: 3 } });
    await waitFor(() => c.callbacks().length === 2, 'two callbacks');
    expect(c.callbacks().map((f) => f.action)).toEqual(['Result', 'Total']);
    await c.close();
  });
});
