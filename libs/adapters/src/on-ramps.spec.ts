import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_ON_RAMPS, ON_RAMP_SPEC } from './on-ramps';

const SRC = __dirname;

/** Every .ts file under a folder (specs excluded). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [join(dir, e.name)] : [],
  );
}

describe('ALL_ON_RAMPS: one file per on-ramp, one line in the list', () => {
  it('holds every built-in transport, each with a name, a summary, a spec and start', () => {
    expect(ALL_ON_RAMPS.map((r) => r.name)).toEqual(['http', 'dual-http', 'poll', 'ws', 'tcp', 'queue']);
    for (const r of ALL_ON_RAMPS) {
      expect(r.summary.length, r.name).toBeGreaterThan(10);
      expect(typeof r.spec, r.name).toBe('object');
      expect(typeof r.start, r.name).toBe('function');
    }
  });

  it('defines each on-ramp in a file of its own, named <name>.on-ramp.ts', () => {
    const files = sources(SRC).filter((f) => /defineOnRamp[<(]/.test(readFileSync(f, 'utf8')));
    expect(files.map((f) => relative(SRC, f)).sort()).toEqual([
      'dual-http/dual-http.on-ramp.ts',
      'http/http.on-ramp.ts',
      'http/poll.on-ramp.ts',
      'queue/queue.on-ramp.ts',
      'tcp/tcp.on-ramp.ts',
      'ws/ws.on-ramp.ts',
    ]);
    for (const f of files) expect(readFileSync(f, 'utf8').split('\n').length, f).toBeLessThanOrEqual(320);
  });

  it('gathers every setting an on-ramp declares into ON_RAMP_SPEC, each documented', () => {
    for (const r of ALL_ON_RAMPS) {
      for (const [key, spec] of Object.entries(r.spec)) {
        expect(ON_RAMP_SPEC[key], `${r.name}: ${key}`).toBe(spec);
        expect(key, r.name).toMatch(/^ITINERA_[A-Z0-9_]+$/);
        expect(spec.description.length, key).toBeGreaterThan(10);
      }
    }
  });

  it('keeps the shared duplex session logic out of the transports: ws/ holds only the WebSocket', () => {
    expect(
      readdirSync(join(SRC, 'ws'))
        .filter((f) => !f.endsWith('.spec.ts'))
        .sort(),
    ).toEqual(['ws.on-ramp.ts', 'ws.send.ts']);
    for (const f of sources(SRC)) {
      if (f.includes(`${join(SRC, 'ws')}/`)) continue;
      expect(readFileSync(f, 'utf8'), relative(SRC, f)).not.toMatch(/from '\.\.?\/(\.\.\/)*ws\/(?!ws\.)/);
    }
  });
});
