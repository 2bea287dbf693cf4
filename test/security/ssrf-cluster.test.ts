import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLES_DIR, http, startCluster, waitFor, type Cluster } from '@itinera/testing';

/**
 * SSRF (OWASP API7) on the BullMQ cluster: workers are separate processes with their own
 * configuration, and the target is the cluster's own Redis. A route resolved from the body
 * aimed at it in several address forms faults ADDRESS_REFUSED on the worker; the secret in
 * the address shows in no record, fault or log line of any process, and nothing is lost.
 */

const SSRF_ITINERARY = {
  name: 'ssrf',
  version: '1.0.0',
  description: 'SSRF test: route to the endpoint the body names, then send.',
  steps: [
    { id: 'route', service: 'route', resolver: { type: 'expression', expression: '{ "adapter": body.adapter, "address": body.url }' } },
    { id: 'deliver', service: 'send' },
  ],
};

const SECRET = 'clusterS3cretValue';

describe('SSRF guard on the BullMQ cluster', () => {
  let cluster: Cluster;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'itinera-ssrf-cluster-'));
    cpSync(SAMPLES_DIR, dir, { recursive: true });
    writeFileSync(join(dir, 'ssrf.json'), JSON.stringify(SSRF_ITINERARY, null, 2));
    cluster = await startCluster({ gateways: 1, workers: 1, itinerariesDir: dir });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses the cluster Redis in every form on the worker, and leaks the secret nowhere', async () => {
    const gw = cluster.gateways[0].url;
    const port = cluster.redis.port;
    const forms = [
      `http://127.0.0.1:${port}/?apikey=${SECRET}`,
      `http://0x7f000001:${port}/?token=${SECRET}`,
      `http://2130706433:${port}/`,
      `http://localhost:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `ws://127.0.0.1:${port}/?access_token=${SECRET}`,
    ];
    const ids: string[] = [];
    for (const url of forms) {
      const res = await http(`${gw}/itineraries/ssrf/messages`, { body: { adapter: url.startsWith('ws') ? 'ws' : 'http', url } });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      ids.push(res.headers.get('itinera-message-id')!);
    }
    // Every accepted message ends faulted with the guard's code: none lost, none run.
    for (const [i, id] of ids.entries()) {
      const record = await waitFor(
        async () => {
          const r = await http(`${gw}/messages/${id}`);
          return r.body?.status === 'faulted' ? r.body : undefined;
        },
        `message ${i} to fault`,
        30_000,
      );
      expect(record.error.code, forms[i]).toBe('ADDRESS_REFUSED');
      expect(record.error.message).toMatch(/rule: loopback/);
      expect(JSON.stringify(record)).not.toContain(SECRET);
    }
    const list = await http(`${gw}/faults?limit=1000`);
    const details = await Promise.all(list.body.faults.map((f: { id: string }) => http(`${gw}/faults/${f.id}`).then((r) => r.body)));
    expect(JSON.stringify(list.body) + JSON.stringify(details)).not.toContain(SECRET);
    const lines = [...cluster.gateways, ...cluster.workers].flatMap((n) => n.logs.map((l) => JSON.stringify(l)));
    expect(lines.some((l) => l.includes('ADDRESS_REFUSED'))).toBe(true);
    expect(lines.filter((l) => l.includes(SECRET))).toEqual([]);
    for (const n of [...cluster.gateways, ...cluster.workers]) expect((await fetch(`${n.url}/health/live`)).status).toBe(200);
  });
});
