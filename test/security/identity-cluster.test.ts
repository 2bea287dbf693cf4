import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawDuplex, SAMPLES_DIR, http, startCluster, waitFor, type Cluster } from '@itinera/testing';

/**
 * Client identity on the BullMQ cluster (two gateways, one worker, separate processes):
 * the principal travels with the envelope through Redis to the worker and into its
 * faults, records are owned across gateways, and a session opened on one gateway keeps
 * its owner when resumed on another.
 */

const KEYS = { alice: 'alice-cluster-key-0123456789', bob: 'bob-cluster-key-01234567890', ops: 'ops-cluster-key-012345678901' };

const ITINERARY = {
  name: 'secure-work',
  version: '1.0.0',
  actions: { Go: {}, Fail: {} },
  access: { '*': { anyOf: ['scope:work'] } },
  steps: [
    { id: 'mark', service: 'transform', options: { target: 'context.by', expression: 'principal.id' } },
    { id: 'fail', service: 'fault', when: "action = 'Fail'", options: { code: 'WORK_FAILED', message: 'failed on purpose' } },
  ],
};

// A hop through a trusted queue: the target's access applies to the sender, not to the queue.
const HOPS = [
  { name: 'hop', version: '1.0.0', steps: [{ id: 'out', service: 'send', options: { adapter: 'queue', address: 'hop.jobs', config: 'action=Go' } }] },
  {
    name: 'hop-target',
    version: '1.0.0',
    onRamps: { http: false, duplex: false, queue: [{ queue: 'hop.jobs' }] },
    access: { '*': { anyOf: ['scope:hop'] } },
    steps: [{ id: 'stop', service: 'fault', options: { code: 'JOB_SEEN', message: 'seen' } }],
  },
];

describe('identity on the BullMQ cluster', () => {
  let cluster: Cluster;
  let dir: string;
  let keysFile: string;
  const gw = (i: number) => cluster.gateways[i].url;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'itinera-identity-cluster-'));
    cpSync(SAMPLES_DIR, dir, { recursive: true });
    writeFileSync(join(dir, 'secure-work.json'), JSON.stringify(ITINERARY));
    for (const def of HOPS) writeFileSync(join(dir, `${def.name}.json`), JSON.stringify(def));
    keysFile = `${dir}-keys.json`;
    writeFileSync(
      keysFile,
      JSON.stringify([
        { name: 'alice', key: KEYS.alice, scopes: ['work'] },
        { name: 'bob', key: KEYS.bob, scopes: ['work', 'hop'] },
        { name: 'ops', key: KEYS.ops, scopes: [], roles: ['operator'] },
      ]),
    );
    cluster = await startCluster({
      gateways: 2,
      workers: 1,
      itinerariesDir: dir,
      env: { ITINERA_AUTH: 'required', ITINERA_API_KEYS_FILE: keysFile, ITINERA_QUEUE_TRUSTED: 'true' },
    });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (keysFile) rmSync(keysFile, { force: true });
  });

  it('a message sent on one gateway is run by the worker as its sender and readable on the other gateway by its owner only', async () => {
    expect((await http(`${gw(0)}/itineraries/secure-work/messages`, { body: {}, headers: { 'itinera-action': 'Go' } })).status).toBe(401);
    const sent = await http(`${gw(0)}/itineraries/secure-work/messages`, { body: {}, headers: { 'itinera-action': 'Go', 'x-api-key': KEYS.alice } });
    expect(sent.status).toBe(202);
    const id = sent.body.messageId;
    const record = await waitFor(async () => {
      const r = await http(`${gw(1)}/messages/${id}`, { headers: { 'x-api-key': KEYS.alice } });
      return r.body?.status === 'completed' ? r.body : undefined;
    }, 'the message to complete on the worker');
    expect(record).toMatchObject({ principal: 'key:alice', context: { by: 'key:alice' } });
    const other = await http(`${gw(1)}/messages/${id}`, { headers: { 'x-api-key': KEYS.bob } });
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('MESSAGE_NOT_FOUND');
  });

  it("a worker's fault keeps the principal; faults need an operator on every gateway", async () => {
    const sent = await http(`${gw(1)}/itineraries/secure-work/messages`, { body: {}, headers: { 'itinera-action': 'Fail', 'x-api-key': KEYS.bob } });
    expect(sent.status).toBe(202);
    expect((await http(`${gw(0)}/faults`, { headers: { 'x-api-key': KEYS.bob } })).status).toBe(403);
    const fault = await waitFor(async () => {
      const r = await http(`${gw(0)}/faults`, { headers: { 'x-api-key': KEYS.ops } });
      return r.body.faults.find((f: any) => f.messageId === sent.body.messageId);
    }, 'the fault');
    const full = await http(`${gw(0)}/faults/${fault.id}`, { headers: { 'x-api-key': KEYS.ops } });
    expect(full.body.envelope.principal).toMatchObject({ id: 'key:bob', kind: 'api-key' });
  });

  it('a session opened on one gateway keeps its owner in Redis: resumed on the other with its token, refused with another key', async () => {
    const a = await RawDuplex.open(gw(0), { type: 'hello', credential: KEYS.alice });
    expect(a.session).toBeDefined();
    await a.close();
    const hijack = await RawDuplex.open(gw(1), { type: 'hello', session: a.session, token: a.token, credential: KEYS.bob });
    expect(hijack.frames[0]).toMatchObject({ type: 'error', error: { code: 'FORBIDDEN' } });
    await hijack.close();
    const resumed = await RawDuplex.open(gw(1), { type: 'hello', session: a.session, token: a.token });
    expect(resumed.frames[0]).toMatchObject({ type: 'welcome', resumed: true });
    const accepted = await resumed.call('r1', 'secure-work', 'Go', {});
    expect(accepted.type).toBe('accepted');
    const record = await waitFor(async () => {
      const r = await http(`${gw(0)}/messages/${accepted.messageId}`, { headers: { 'x-api-key': KEYS.alice } });
      return r.body?.status === 'completed' ? r.body : undefined;
    }, 'the resumed session message to complete');
    expect(record).toMatchObject({ principal: 'key:alice', session: a.session });
    await resumed.close();
  });

  it('a hop through a trusted queue runs as its sender on the worker: without the target\'s scope FORBIDDEN, with it run', async () => {
    for (const [i, key] of [KEYS.alice, KEYS.bob].entries()) {
      const res = await http(`${gw(i)}/itineraries/hop/messages`, { body: { i }, headers: { 'x-api-key': key } });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
    }
    const ops = { headers: { 'x-api-key': KEYS.ops } };
    const jobs = await waitFor(async () => {
      const all = (await http(`${gw(1)}/faults?limit=100`, ops)).body.faults.filter((f: any) => f.itinerary.startsWith('hop-target'));
      return all.length >= 2 ? all : undefined;
    }, 'both hops to reach hop-target');
    const byCode = Object.fromEntries(jobs.map((f: any) => [f.error.code, f]));
    expect(Object.keys(byCode).sort()).toEqual(['FORBIDDEN', 'JOB_SEEN']);
    expect(byCode.FORBIDDEN.error.message).toContain('key:alice');
    expect((await http(`${gw(0)}/faults/${byCode.JOB_SEEN.id}`, ops)).body.envelope.principal).toMatchObject({ id: 'key:bob', kind: 'api-key' });
  });
});
