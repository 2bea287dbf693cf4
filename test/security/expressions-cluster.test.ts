import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLES_DIR, http, startCluster, waitFor, type Cluster } from '@itinera/testing';
import { writeHostileItineraries } from '../fixtures/security/hostile-map';

/**
 * Hostile expressions on the BullMQ cluster: the map runs after publication, on a worker
 * process. Each accepted attack faults with its documented code, nothing accepted is
 * lost (every message ends completed or faulted), the worker keeps answering its health
 * check meanwhile, its memory stays within twice its start, and it is the same process
 * afterwards.
 */
/** Resident memory of a process, bytes (Linux: /proc). */
function rss(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

describe('hostile expressions on the BullMQ cluster (map on the worker)', { timeout: 180_000 }, () => {
  let cluster: Cluster;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'itinera-expr-cluster-'));
    cpSync(SAMPLES_DIR, dir, { recursive: true });
    writeHostileItineraries(dir);
    cluster = await startCluster({ gateways: 1, workers: 1, itinerariesDir: dir });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('faults each attack with its code and keeps the worker alive and answering', async () => {
    const gw = cluster.gateways[0]!.url;
    const worker = cluster.workers[0]!;
    const attacks = [
      { body: { mode: 'pad', n: 200_000_000 }, code: 'EXPRESSION_LIMIT' },
      { body: { mode: 'double', n: 40 }, code: 'EXPRESSION_LIMIT' },
      { body: { mode: 'string', n: 30 }, code: 'EXPRESSION_LIMIT' },
      { body: { mode: 'replace', s: 'a'.repeat(200_000), r: 'b'.repeat(100) }, code: 'EXPRESSION_LIMIT' },
      { body: { mode: 'loop' }, code: 'EXPRESSION_TIMEOUT' },
      { body: { mode: 'loop' }, code: 'EXPRESSION_TIMEOUT' },
      { body: { mode: 'regex', s: 'a'.repeat(28) + 'b' }, code: '' },
      { body: { s: 'plain words' }, code: '' },
    ];
    const rssStart = rss(worker.proc.pid!);
    let rssPeak = rssStart;
    const sent = await Promise.all(attacks.map((a) => http(`${gw}/itineraries/hostile-work/messages`, { body: a.body })));
    for (const s of sent) expect(s.status).toBe(202);

    let healthChecks = 0;
    const records = await waitFor(
      async () => {
        const live = await fetch(`${worker.url}/health/live`);
        expect(live.status).toBe(200);
        healthChecks++;
        rssPeak = Math.max(rssPeak, rss(worker.proc.pid!));
        const rs = await Promise.all(sent.map((s) => http(`${gw}/messages/${s.body.messageId}`)));
        return rs.every((r) => r.body?.status === 'completed' || r.body?.status === 'faulted') ? rs.map((r) => r.body) : undefined;
      },
      'every message to complete or fault',
      60_000,
    );
    expect(healthChecks).toBeGreaterThan(0);
    attacks.forEach((a, i) => {
      const r = records[i];
      if (a.code) expect({ mode: a.body.mode, status: r.status, code: r.error?.code }).toEqual({ mode: a.body.mode, status: 'faulted', code: a.code });
      else expect({ mode: a.body.mode, status: r.status }).toEqual({ mode: a.body.mode, status: 'completed' });
    });
    expect(records[6].context.out).toBe(false);
    expect(worker.proc.exitCode).toBeNull();
    // Without the limits, $pad alone took the process past 1.6 GB (or aborted it).
    expect(rssPeak).toBeLessThan(rssStart * 2);
  });
});
