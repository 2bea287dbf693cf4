import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliIO } from '../../apps/cli/src/cli';
import { FAKE_ADAPTERS, FAKE_SERVICES } from './fake-services';

const FIXTURES = join(__dirname, '..', 'fixtures');

async function cli(argv: string[], env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (l) => out.push(...l.split('\n')), err: (l) => err.push(...l.split('\n')) };
  const code = await runCli(argv, { services: FAKE_SERVICES, adapters: FAKE_ADAPTERS, io, env });
  return { code, out, err, all: [...out, ...err].join('\n') };
}

describe('itinera validate', () => {
  it('exits 1 with file: /pointer: message lines and a summary, never a stack trace', async () => {
    const dir = join(FIXTURES, 'invalid', 'missing-policy');
    const r = await cli(['validate', dir]);
    expect(r.code).toBe(1);
    const file = relative(process.cwd(), join(dir, 'itinerary.json'));
    expect(r.out).toContain(
      `${file}: /steps/0/resolver/policy: no policy "order-decison" in policies/: create it or fix the name; deployed: order-decision (did you mean "order-decision"?)`,
    );
    expect(r.out.some((l) => l.startsWith(`${file}: /steps/1/resolver/version: policy "order-decision" has no version 2.0.0`))).toBe(true);
    expect(r.out.at(-1)).toMatch(/: 2 errors in 1 file$/);
    expect(r.all).not.toMatch(/^\s+at /m);
  });

  it('prints the JSON syntax error with line and column', async () => {
    const r = await cli(['validate', join(FIXTURES, 'invalid', 'json-parse')]);
    expect(r.code).toBe(1);
    expect(r.out[0]).toMatch(/broken\.json: \/: invalid JSON at line 5, column 1: /);
  });

  it('exits 0 with a one-line summary when valid', async () => {
    const r = await cli(['validate', join(FIXTURES, 'valid')]);
    expect(r.code).toBe(0);
    expect(r.out).toHaveLength(1);
    expect(r.out[0]).toMatch(/valid: 2 itineraries \(3 versions\), 2 policies, 3 maps, 1 schema$/);
  });

  it('takes the folder from ITINERA_ITINERARIES when none is given', async () => {
    const r = await cli(['validate'], { ITINERA_ITINERARIES: join(FIXTURES, 'valid') });
    expect(r.code).toBe(0);
  });

  it('checks invoke steps against --invokables when given', async () => {
    const r = await cli(['validate', join(FIXTURES, 'valid'), '--invokables', 'other']);
    expect(r.code).toBe(1);
    expect(r.all).toMatch(/calculator.json: \/steps\/0\/options\/handler: no invokable "calculator"/);
  });

  it('reports a missing folder as one line, exit 1', async () => {
    const r = await cli(['validate', join(FIXTURES, 'nowhere')]);
    expect(r.code).toBe(1);
    expect(r.out[0]).toMatch(/nowhere: \/: itineraries folder not found/);
  });
});

describe('itinera graph', () => {
  it('prints the steps as a flow with stage, service and resolver, and the publication point', async () => {
    const r = await cli(['graph', join(FIXTURES, 'valid'), 'orders']);
    expect(r.code).toBe(0);
    const text = r.out.join('\n');
    expect(r.out[0]).toMatch(/^orders@1\.1\.0 /);
    expect(text).toContain('versions: 1.0.0, 1.1.0 (latest)');
    expect(text).toContain('on-ramps: http, websocket, long polling, queue orders-in');
    expect(text).toMatch(/\[1\] check\s+receive\s+validate\s+static/);
    expect(text).toMatch(/\[4\] decide\s+send\s+callback\s+rules order-decision@latest/);
    expect(text).toMatch(/\[5\] deliver\s+send\s+send\s+expression map endpoint@1\.0\.0/);
    expect(text).toContain('when: order.quantity <= 10');
    expect(text).toContain('~~ hop: publish to service queue "delivery" ~~');
    // Publication sits between the last receive step and the first send step.
    expect(text.indexOf('[3] ack')).toBeLessThan(text.indexOf('===== publication'));
    expect(text.indexOf('===== publication')).toBeLessThan(text.indexOf('[4] decide'));
  });

  it('graphs a pinned version, and names the deployed versions of a missing one', async () => {
    expect((await cli(['graph', join(FIXTURES, 'valid'), 'orders@1.0.0'])).out[0]).toMatch(/^orders@1\.0\.0/);
    const r = await cli(['graph', join(FIXTURES, 'valid'), 'orders@9.0.0']);
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toMatch(/itinerary "orders" has no version 9.0.0; deployed versions: 1.0.0, 1.1.0/);
  });
});

describe('itinera', () => {
  it('lists the commands, and refuses unknown ones with exit 2', async () => {
    const help = await cli(['help']);
    expect(help.code).toBe(0);
    expect(help.all).toMatch(/validate \[dir\]/);
    expect(help.all).toMatch(/graph \[dir\] <name\[@version\]>/);
    const bad = await cli(['frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toBe('itinera: unknown command "frobnicate"');
    expect((await cli(['graph'])).code).toBe(2);
  });
});
