import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Figure } from '../bench/lib/report';

const ROOT = resolve(__dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'itinera-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A smoke run of `npm run bench -- --quick` cut short (one round, 0.3 s runs, three
 * figures): the benchmark still starts its redis-server and children, measures both
 * sides and writes its JSON. It checks the machinery and the report's shape, never a
 * speed: figures are measured by the benchmark, not asserted by tests.
 */
describe('npm run bench (smoke)', () => {
  it('runs the bus and its baselines and writes bench results as documented', async () => {
    const out = join(dir, 'smoke.json');
    const args = ['tsx', 'bench/run.ts', '--quick', '--only=embedded,throughput,orders', '--rounds=1', '--seconds=0.3', '--warmup=200', `--out=${out}`];
    const { code, output } = await new Promise<{ code: number | null; output: string }>((done) => {
      const child = execFile('npx', args, { cwd: ROOT, timeout: 220_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
        done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}\n${stderr}` }),
      );
      child.stdin?.end();
    });
    expect(code, output.slice(-3000)).toBe(0);

    const result = JSON.parse(readFileSync(out, 'utf8')) as { machine: Record<string, unknown>; figures: Figure[] };
    expect(result.machine).toMatchObject({ cores: expect.any(Number), node: process.version, mode: 'quick', redis: expect.any(String) });
    const names = result.figures.map((f) => f.name);
    for (const name of [
      'msg/s, 3-step itinerary, embedded box',
      'msg/s, 3 steps, one publication (HTTP send), BullMQ box',
      'Redis commands per message, one publication',
      'msg/s, 3 steps, two publications (queue send), BullMQ box',
      'Redis commands per message, two publications',
      "msg/s, two publications' Redis work by hand (relay)",
      'orders/s, orders sample end to end, embedded box',
    ])
      expect(names).toContain(name);
    // The command-count targets compare with the same run's raw BullMQ, one hop and two.
    const byName = new Map(result.figures.map((f) => [f.name, f]));
    expect(byName.get('Redis commands per message, one publication')!.target).toBe('<= 1.15');
    expect(byName.get('Redis commands per message, two publications')!.baseline!).toBeGreaterThan(
      byName.get('Redis commands per message, one publication')!.baseline!,
    );
    for (const f of result.figures) {
      expect(f.error, f.name).toBeUndefined();
      expect(f.value, f.name).toBeGreaterThan(0);
      expect(typeof f.unit).toBe('string');
      if (f.baseline !== null) expect(f.ratio, f.name).toBeCloseTo(f.value! / f.baseline, 2);
      // A target is a result (met or not), never an error.
      expect(f.met === null || typeof f.met === 'boolean').toBe(true);
      if (f.target !== null) expect(f.target).toMatch(/^(>=|<=) [\d.]+$/);
    }
    expect(output).toMatch(/\| figure +\| value/);
  }, 240_000);
});
