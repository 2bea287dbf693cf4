import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineAdapter, defineStep, formatDetails, joinPointer } from '@itinera/core';
import { loadRegistry } from './registry.loader';

/** Stand-ins for the callback and route services: the same kind of spec and load check. */
const SERVICES = [
  defineStep({
    name: 'callback',
    summary: 'callback',
    spec: { action: { type: 'string', description: 'action', required: true }, expression: { type: 'string', description: 'JSONata body' } },
    check: (o, lc) => {
      const problem = typeof o.expression === 'string' ? lc.checkExpression(o.expression) : undefined;
      return problem ? [{ pointer: lc.pointer + joinPointer('expression'), message: problem }] : [];
    },
    run: () => undefined,
  }),
  defineStep({
    name: 'route',
    summary: 'route',
    spec: {
      adapter: { type: 'string', description: 'adapter', required: true },
      address: { type: 'string', description: 'address', required: true },
      config: { type: 'any', description: 'adapter options' },
    },
    check: (o, lc) => {
      const errors =
        typeof o.adapter === 'string' && !lc.hasAdapter(o.adapter) ? [{ pointer: `${lc.pointer}/adapter`, message: `unknown adapter "${o.adapter}"` }] : [];
      return errors.length ? errors : (lc.checkEndpoint?.(o, lc.pointer) ?? []);
    },
    run: () => undefined,
  }),
];
const ADAPTERS = [
  defineAdapter({
    name: 'http',
    summary: 'http',
    spec: { timeoutMs: { type: 'integer', description: 'timeout', minimum: 1 } },
    checkAddress: (a) => (/^https?:\/\//.test(a) ? undefined : 'must be an http(s) URL'),
    send: async () => ({}),
  }),
];

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function folder(policy: Record<string, unknown>, steps: Record<string, unknown>[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'itinera-params-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'policies'));
  writeFileSync(join(dir, 'flow.json'), JSON.stringify({ name: 'flow', version: '1.0.0', steps }));
  writeFileSync(join(dir, 'policies', 'p.json'), JSON.stringify({ name: 'p', version: '1.0.0', ...policy }));
  return dir;
}

const when = (action: string) => ({ all: [{ fact: 'action', operator: 'equal', value: action }] });
const decide = { id: 'decide', service: 'callback', resolver: { type: 'rules', policy: 'p' } };
const route = { id: 'route', service: 'route', resolver: { type: 'rules', policy: 'p' } };

async function lines(dir: string): Promise<string[]> {
  const { registry, errors } = await loadRegistry(dir, { services: SERVICES, adapters: ADAPTERS });
  if (errors.length) expect(registry).toBeUndefined();
  return errors.length ? formatDetails(errors).split('\n') : [];
}

describe('policy params are checked at load, like step options', () => {
  it('JSONata in params must compile: the policy file and the pointer, and the step that uses it', async () => {
    const dir = folder(
      {
        defaults: { action: 'Ok', expression: "{ 'a': body.x }" },
        rules: [{ name: 'bad', conditions: when('A'), params: { action: 'No', expression: "{ 'a': " } }],
      },
      [decide],
    );
    const out = await lines(dir);
    expect(out).toHaveLength(1);
    const file = relative(process.cwd(), join(dir, 'policies', 'p.json'));
    expect(out[0].startsWith(`${file}: /rules/0/params/expression: JSONata syntax error`)).toBe(true);
    expect(out[0]).toMatch(/\(params of step "decide" of flow@1\.0\.0, .*flow\.json \/steps\/0\)$/);
  });

  it('params against the step service spec: unknown keys, wrong types, required options with the step options', async () => {
    const dir = folder(
      {
        defaults: { expression: '1' },
        rules: [
          { name: 'typo', conditions: when('A'), params: { action: 'X', expresion: '1' } },
          { name: 'type', conditions: when('B'), params: { action: 7 } },
        ],
      },
      [decide],
    );
    const out = (await lines(dir)).join('\n');
    expect(out).toMatch(/p\.json: \/defaults\/action: .*required/);
    expect(out).toMatch(/p\.json: \/rules\/0\/params\/expresion: .*unknown/i);
    expect(out).toMatch(/p\.json: \/rules\/1\/params\/action: .*string/);
    // With the required option in the step's options, the defaults are complete.
    const fixed = folder({ defaults: { expression: '1' }, rules: [] }, [{ ...decide, options: { action: 'Default' } }]);
    expect(await lines(fixed)).toEqual([]);
  });

  it('adapter names and endpoint configs against the adapter spec', async () => {
    const dir = folder(
      {
        defaults: { adapter: 'http', address: 'http://example.test/orders', config: 'timeoutMs=2000' },
        rules: [
          { name: 'bad-config', conditions: when('A'), params: { adapter: 'http', address: '${env:URL}', config: 'timeoutMs=soon' } },
          { name: 'bad-adapter', conditions: when('B'), params: { adapter: 'htp', address: 'x' } },
          { name: 'bad-address', conditions: when('C'), params: { adapter: 'http', address: 'ftp://x', config: { timeoutMs: 0 } } },
        ],
      },
      [route],
    );
    const out = (await lines(dir)).join('\n');
    expect(out).toMatch(/p\.json: \/rules\/0\/params\/config\/timeoutMs: .*integer/);
    expect(out).toMatch(/p\.json: \/rules\/1\/params\/adapter: unknown adapter "htp"/);
    expect(out).toMatch(/p\.json: \/rules\/2\/params\/config\/timeoutMs: .*between 1 and/);
    expect(out).toMatch(/p\.json: \/rules\/2\/params\/address: address of adapter "http": must be an http\(s\) URL/);
    expect(out).not.toMatch(/\/defaults/);
  });

  it('a pinned version checks that version; without one, the latest', async () => {
    const dir = folder({ rules: [{ name: 'r', conditions: when('A'), params: { action: 'Fine' } }] }, [decide]);
    writeFileSync(
      join(dir, 'policies', 'p2.json'),
      JSON.stringify({ name: 'p', version: '2.0.0', rules: [{ name: 'r', conditions: when('A'), params: { action: 'X', expression: '(' } }] }),
    );
    expect((await lines(dir)).join('\n')).toMatch(/p2\.json: \/rules\/0\/params\/expression: /);
    writeFileSync(
      join(dir, 'flow.json'),
      JSON.stringify({ name: 'flow', version: '1.0.0', steps: [{ ...decide, resolver: { ...decide.resolver, version: '1.0.0' } }] }),
    );
    expect(await lines(dir)).toEqual([]);
  });
});
