import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { satisfies } from 'semver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, REPO_ROOT, startTestBus, waitFor } from '@itinera/testing';

const run = promisify(execFile);
type TestBus = Awaited<ReturnType<typeof startTestBus>>;
interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

const DEV_ONLY = ['tsx', 'typescript', 'esbuild'];

interface Manifest {
  name: string;
  version: string;
  engines?: { node?: string };
}

/** Every package under a node_modules folder, nested ones included. */
function installedPackages(dir: string): Manifest[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .flatMap((e) => (e.name.startsWith('@') ? readdirSync(join(dir, e.name)).map((n) => join(dir, e.name, n)) : [join(dir, e.name)]))
    .filter((at) => existsSync(join(at, 'package.json')))
    .flatMap((at) => [JSON.parse(readFileSync(join(at, 'package.json'), 'utf8')) as Manifest, ...installedPackages(join(at, 'node_modules'))]);
}
const ORDER = '{"productId": 7, "amount": 2, "customerId": 42}';

/**
 * `itinera` as a user gets it: the root package packed with `npm pack`, installed
 * from the tarball into a project outside the repository without dev
 * dependencies, and run through its bin from that project.
 */
describe('the itinera CLI installed from its package', () => {
  let tmp: string;
  let project: string;
  let bus: TestBus;
  let installLog = '';
  // Only what a user's shell has: no ITINERA_* of the test process, no NODE_PATH into the repository.
  const env = { PATH: [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter), HOME: process.env.HOME ?? tmpdir() };

  async function itinera(...args: string[]): Promise<Ran> {
    const bin = join(project, 'node_modules', '.bin', 'itinera');
    try {
      const r = await run(bin, args, { cwd: project, env, timeout: 60_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code?: number | string; stdout?: string; stderr?: string };
      if (typeof e.code !== 'number') throw err;
      return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  beforeAll(async () => {
    await ensureBuilt();
    tmp = mkdtempSync(join(tmpdir(), 'itinera-cli-pkg-'));
    // dist/ is built above; --ignore-scripts keeps prepack from building it again, so the
    // test does prepack's other part itself: bundle the locked dependencies (scripts/pack-manifest.mjs).
    await run(process.execPath, [join(REPO_ROOT, 'scripts', 'pack-manifest.mjs'), 'bundle'], { cwd: REPO_ROOT });
    try {
      await run('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp], { cwd: REPO_ROOT, env: { ...process.env, npm_config_loglevel: 'error' } });
    } finally {
      await run(process.execPath, [join(REPO_ROOT, 'scripts', 'pack-manifest.mjs'), 'restore'], { cwd: REPO_ROOT });
    }
    const tarball = join(
      tmp,
      readdirSync(tmp).find((f) => f.endsWith('.tgz'))!,
    );
    project = join(tmp, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'uses-itinera', version: '1.0.0', private: true }));
    // Warnings on: an engine the running Node does not meet shows as EBADENGINE, asserted below.
    const installed = await run('npm', ['install', tarball, '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: project,
      env: { ...process.env, npm_config_loglevel: 'warn' },
      timeout: 240_000,
    });
    installLog = `${installed.stdout}\n${installed.stderr}`;
    bus = await startTestBus({ env: { ITINERA_ADMIN_TOKEN: 'op-secret' } });
  }, 300_000);

  afterAll(async () => {
    await bus?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('installs without any dev dependency', () => {
    const pkg = join(project, 'node_modules', 'itinera');
    expect(existsSync(join(pkg, 'dist', 'apps', 'cli', 'main.js'))).toBe(true);
    // No TypeScript sources: the bin's launcher runs the build.
    expect(existsSync(join(pkg, 'apps', 'cli', 'src'))).toBe(false);
    for (const dev of DEV_ONLY) {
      expect(existsSync(join(project, 'node_modules', dev)), dev).toBe(false);
      expect(existsSync(join(pkg, 'node_modules', dev)), dev).toBe(false);
    }
  });

  it('installs on the running Node with the locked versions: no EBADENGINE, every engines field met', () => {
    expect(installLog).not.toMatch(/EBADENGINE/);
    // The dependencies come bundled as package-lock.json resolved them (with its overrides),
    // so none of them asks for a newer Node than the package's own engines field accepts.
    const unmet = installedPackages(join(project, 'node_modules')).filter(
      (p) => p.engines?.node && !satisfies(process.version, p.engines.node, { includePrerelease: true }),
    );
    expect(unmet.map((p) => `${p.name}@${p.version} needs node ${p.engines?.node}`)).toEqual([]);
    expect(existsSync(join(project, 'node_modules', 'itinera', 'node_modules', '@fastify', 'static'))).toBe(true);
  });

  it('validate --json: the packaged samples are valid (exit 0); a broken copy lists each finding with code, file and pointer (exit 1)', async () => {
    cpSync(join(project, 'node_modules', 'itinera', 'itineraries'), join(project, 'itineraries'), { recursive: true });
    const ok = await itinera('validate', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    const valid = JSON.parse(ok.stdout);
    expect(valid).toMatchObject({ valid: true, dir: './itineraries', policies: expect.arrayContaining(['order-decision@1.0.0']) });
    expect(valid.itineraries.map((i: { name: string }) => i.name)).toEqual(expect.arrayContaining(['orders', 'calculator']));

    cpSync(join(project, 'itineraries'), join(project, 'broken'), { recursive: true });
    rmSync(join(project, 'broken', 'policies', 'order-decision@1.0.0.json'));
    const orders = JSON.parse(readFileSync(join(project, 'broken', 'orders.json'), 'utf8')) as { steps: { resolver?: { policy?: string } }[] };
    const decide = orders.steps.findIndex((s) => s.resolver?.policy === 'order-decision');
    writeFileSync(join(project, 'broken', 'half.json'), '{ "name": "half",\n');
    const bad = await itinera('validate', 'broken', '--json');
    expect(bad.code, bad.stderr).toBe(1);
    const found = JSON.parse(bad.stdout);
    expect(found).toMatchObject({ valid: false, dir: 'broken', code: 'ITINERARIES_INVALID' });
    expect(found.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'INVALID_JSON', file: join('broken', 'half.json'), pointer: '' }),
        expect.objectContaining({ code: 'ITINERARY_INVALID', file: join('broken', 'orders.json'), pointer: `/steps/${decide}/resolver/policy` }),
      ]),
    );
    expect(bad.stderr).toBe('');
  }, 60_000);

  it('graph --json: the flow of an itinerary', async () => {
    const r = await itinera('graph', 'node_modules/itinera/itineraries', 'orders', '--json');
    expect(r.code, r.stderr).toBe(0);
    const graph = JSON.parse(r.stdout);
    expect(graph).toMatchObject({ name: 'orders', version: '1.0.0', actions: ['CreateOrder'] });
    expect(graph.steps).toEqual(expect.arrayContaining([expect.objectContaining({ service: 'callback', resolver: 'rules order-decision@latest' })]));
  }, 60_000);

  it('send, trace and faults against a running bus, each with --json', async () => {
    const sent = await itinera('send', 'orders', 'CreateOrder', ORDER, '--url', bus.url, '--json');
    expect(sent.code, sent.stderr).toBe(0);
    const answer = JSON.parse(sent.stdout);
    expect(answer).toMatchObject({ messageId: expect.any(String), correlationId: expect.any(String), status: 200, body: true });

    const record = await waitFor(
      async () => {
        const t = await itinera('trace', answer.messageId, '--url', bus.url, '--json');
        const r = t.code === 0 ? JSON.parse(t.stdout) : undefined;
        return r?.status === 'completed' ? r : undefined;
      },
      'the order to complete',
      60_000,
    );
    expect(record).toMatchObject({ messageId: answer.messageId, itinerary: 'orders@1.0.0', action: 'CreateOrder' });
    expect(record.trace.map((e: { step: string }) => e.step)).toEqual(expect.arrayContaining(['validate', 'decide']));

    // A message that fails for good becomes a fault, listed for the operator with the admin token.
    const failed = JSON.parse((await itinera('send', 'calculator', 'DivideBy', '{"n": 0}', '--url', bus.url, '--json')).stdout);
    const fault = await waitFor(
      async () => {
        const l = await itinera('faults', 'list', '--url', bus.url, '--token', 'op-secret', '--json');
        expect(l.code, l.stderr).toBe(0);
        return (JSON.parse(l.stdout).faults as { messageId: string; error: { code: string } }[]).find((f) => f.messageId === failed.messageId);
      },
      'the fault in the list',
      60_000,
    );
    expect(fault.error.code).toBe('DIVIDE_BY_ZERO');

    const denied = await itinera('faults', '--url', bus.url, '--json');
    expect(denied.code).toBe(1);
    expect(denied.stderr.trim()).toMatch(/^itinera faults: UNAUTHORIZED: /);
  }, 180_000);

  it('exits 2 with the usage on an option the command does not take', async () => {
    const r = await itinera('trace', 'x', '--limit', '3');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown option '--limit'[\s\S]*Usage: itinera trace <messageId> \[--url U\]/);
  });
});
