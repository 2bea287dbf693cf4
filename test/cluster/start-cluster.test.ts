import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { freePort, waitFor } from '@itinera/testing';

/** Whether `port` can be bound on 127.0.0.1 right now. */
const isFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

/** A base port whose neighbours the script uses (PORT, PORT+1, PORT+10, PORT+11) are free too. */
async function freeBase(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await freePort();
    if (port + 11 > 65535) continue;
    const all = await Promise.all([port, port + 1, port + 10, port + 11].map(isFree));
    if (all.every(Boolean)) return port;
  }
  throw new Error('no free base port');
}

describe('npm run start:cluster', { timeout: 120_000 }, () => {
  it('starts redis, two gateways and two workers from local processes, prints each, and stops them all on SIGTERM', async () => {
    const port = await freeBase();
    const proc = spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, '../../scripts/start-cluster.ts')], {
      cwd: resolve(__dirname, '../..'),
      env: { ...process.env, PORT: String(port), REDIS_URL: '', ITINERA_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
    try {
      await waitFor(
        () => {
          if (out.includes('cluster did not start')) throw new Error(out);
          return out.includes('Ctrl-C stops them all');
        },
        'the cluster to come up',
        75_000,
        100,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n--- output ---\n${out.slice(-3000)}`);
      });
      for (const role of ['redis', 'gateway-1', 'gateway-2', 'worker-1', 'worker-2']) expect(out).toMatch(new RegExp(`${role}\\s+pid \\d+`));
      expect(out).toContain(`http://127.0.0.1:${port}`);
      expect(out).toContain(`http://127.0.0.1:${port + 1}`);
      const r = await fetch(`http://127.0.0.1:${port + 1}/itineraries/calculator/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'itinera-action': 'AddTo' },
        body: JSON.stringify({ n: 1 }),
      });
      expect(r.status).toBe(202);
      const pids = [...out.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
      proc.kill('SIGTERM');
      expect(await exited).toBe(0);
      for (const pid of pids) {
        expect(() => process.kill(pid, 0)).toThrow();
      }
    } finally {
      proc.kill('SIGKILL');
    }
  });
});
