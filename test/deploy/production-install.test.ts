import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import semver from 'semver';
import { RawDuplex, freePort, startRedis, waitFor, type RedisServer } from '@itinera/testing';
import { REPO_ROOT, ensureBuilt } from '../support/build';
import { execForm, isIgnored, parseDockerfile, stageEnv, type Instruction, type Stage } from './dockerfile';

/*
 * The image's final stage without a container engine: this test reads the Dockerfile and does
 * what its final stage does (COPY, npm ci, ln) into a folder that stands for the image's root
 * file system, then starts the ENTRYPOINT's script from there for each role.
 */
const dockerfile = parseDockerfile(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const dockerignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8');
const final = dockerfile.stages.at(-1)!;
const workdir = (s: Stage) => s.instructions.filter((i) => i.cmd === 'WORKDIR').at(-1)!.body;
const only = (s: Stage, cmd: string) => s.instructions.filter((i) => i.cmd === cmd);
const APP = workdir(final);
const ENTRYPOINT = execForm(only(final, 'ENTRYPOINT')[0].body);
const HEALTHCHECK = execForm(only(final, 'HEALTHCHECK')[0].body);
/** Packages only a developer needs; the runtime must load none of them. */
const DEV_TOOLS = ['tsx', 'typescript', 'esbuild', 'vitest', 'playwright-core', 'tsc-alias', 'eslint'];
/** What NODE_ENV=production asks an operator to decide (README "Deploy > Image"). */
const PRODUCTION_SETTINGS = {
  ITINERA_ADMIN_TOKEN: randomBytes(24).toString('hex'),
  ITINERA_ALLOWED_ORIGINS: 'https://app.example.com',
  ITINERA_SEND_ALLOWLIST: 'orders.fulfilment',
};

interface Started {
  proc: ChildProcess;
  url: string;
  logs: any[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe('the image without a container engine: a production install runs every role', { timeout: 300_000 }, () => {
  let root: string; // stands for the image's /
  let hooks: string; // outside the install: the loaded-modules hook and its dumps
  let redis: RedisServer | undefined;
  const running: ChildProcess[] = [];
  const inImage = (p: string) => join(root, posix.resolve(APP, p));

  /** The Dockerfile's final-stage ENV with paths moved under `root`, plus what the test adds. */
  function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const image = Object.fromEntries(Object.entries(stageEnv(final)).map(([k, v]) => [k, v.startsWith('/') ? join(root, v) : v]));
    return {
      // A container's environment: no NODE_PATH, NODE_OPTIONS or npm variables from the host.
      PATH: [join(root, 'usr/local/bin'), dirname(process.execPath), '/usr/bin', '/bin'].join(':'),
      HOME: join(root, 'home'),
      ...image,
      ...PRODUCTION_SETTINGS,
      NODE_OPTIONS: `--require ${join(hooks, 'loaded-modules.cjs')}`,
      HOST: '127.0.0.1',
      ...extra,
    };
  }

  /** Run the ENTRYPOINT's script (what follows tini's `--`) with a role, as `docker run <image> <role>` does. */
  function start(role: string, extra: Record<string, string>): Started {
    const script = inImage(ENTRYPOINT[ENTRYPOINT.indexOf('--') + 1]);
    const proc = spawn(script, [role], { cwd: inImage('.'), env: env(extra), stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(proc);
    const logs: any[] = [];
    let out = '';
    let err = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      for (let i; (i = out.indexOf('\n')) >= 0; out = out.slice(i + 1)) {
        try {
          logs.push(JSON.parse(out.slice(0, i)));
        } catch {
          logs.push({ raw: out.slice(0, i) });
        }
      }
    });
    proc.stderr!.on('data', (d) => (err += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
    return { proc, url: `http://127.0.0.1:${extra.PORT}`, logs, stderr: () => err, exited };
  }

  /** Ready as the HEALTHCHECK sees it: its CMD, run with the container's environment. */
  function healthcheck(port: string): number | null {
    const [cmd, ...args] = HEALTHCHECK;
    const r = spawnSync(
      cmd,
      args.map((a) => (a.startsWith('/') ? join(root, a) : a)),
      { env: env({ PORT: port, NODE_OPTIONS: '' }), timeout: 10_000 },
    );
    return r.status;
  }

  async function ready(node: Started): Promise<void> {
    const port = node.url.split(':').at(-1)!;
    await waitFor(
      () => {
        if (node.proc.exitCode !== null) throw new Error(`exited ${node.proc.exitCode}: ${node.stderr()}`);
        return healthcheck(port) === 0;
      },
      `${node.url} to pass the HEALTHCHECK`,
      90_000,
      250,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${node.stderr()}`);
    });
  }

  /** The files node has loaded so far (SIGUSR2 asks the hook for them). */
  async function loadedFiles(node: Started): Promise<string[]> {
    const file = join(hooks, `loaded-${node.proc.pid}.json`);
    rmSync(file, { force: true });
    node.proc.kill('SIGUSR2');
    const text = await waitFor(() => (existsSync(file) ? readFileSync(file, 'utf8') : ''), 'the loaded-modules dump');
    return JSON.parse(text) as string[];
  }

  beforeAll(async () => {
    await ensureBuilt();
    root = mkdtempSync(join(tmpdir(), 'itinera-image-'));
    hooks = mkdtempSync(join(tmpdir(), 'itinera-image-hooks-'));
    writeFileSync(
      join(hooks, 'loaded-modules.cjs'),
      `const fs = require('node:fs');\nconst { isMainThread } = require('node:worker_threads');\n` +
        `if (isMainThread) process.on('SIGUSR2', () => fs.writeFileSync(${JSON.stringify(hooks)} + '/loaded-' + process.pid + '.json', ` +
        `JSON.stringify(Object.keys(require.cache).filter((f) => f !== __filename))));\n`,
    );
    for (const step of final.instructions) {
      if (step.cmd === 'COPY') {
        copy(step);
        // The CLI package test may be packing at the same moment (prepack adds bundleDependencies
        // to package.json for the pack only): copy the manifest as committed.
        const manifest = inImage('package.json');
        if (existsSync(manifest)) {
          const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
          delete pkg.bundleDependencies;
          writeFileSync(manifest, JSON.stringify(pkg, null, 2));
        }
      } else if (step.cmd === 'RUN' && /^npm ci\b/.test(step.body)) {
        // As written, from the local npm cache when it has the packages.
        const r = spawnSync('npm', [...step.body.split(/\s+/).slice(1), '--prefer-offline'], {
          cwd: inImage('.'),
          env: { ...process.env, ...stageEnv(final), NODE_OPTIONS: '' },
          encoding: 'utf8',
          timeout: 240_000,
        });
        if (r.status !== 0) throw new Error(`${step.body} failed: ${r.stderr}`);
      } else if (step.cmd === 'RUN' && /^ln -s /.test(step.body)) {
        const [target, link] = step.body.split(/\s+/).slice(2);
        mkdirSync(dirname(join(root, link)), { recursive: true });
        symlinkSync(join(root, target), join(root, link));
      }
    }
  }, 600_000);

  /** COPY [--from=<stage>] <src>… <dest>: a stage's files are the repo's after the build, the context's are the repo's. */
  function copy(step: Instruction): void {
    const words = step.body.split(/\s+/);
    const dest = words.pop()!;
    const stage = step.flags.from ? dockerfile.stages.find((s) => s.name === step.flags.from)! : undefined;
    for (const src of words) {
      const from = join(REPO_ROOT, stage ? posix.relative(workdir(stage), src) : src);
      const to = inImage(dest);
      if (statSync(from).isDirectory()) cpSync(from, to, { recursive: true });
      else {
        mkdirSync(dest.endsWith('/') ? to : dirname(to), { recursive: true });
        cpSync(from, dest.endsWith('/') ? join(to, basename(src)) : to);
      }
    }
  }

  afterAll(async () => {
    for (const p of running) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await redis?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
    if (hooks) rmSync(hooks, { recursive: true, force: true });
  });

  it('the Dockerfile: a build stage, then a slim Node LTS runtime with production dependencies, dist/ and the itineraries', () => {
    const build = dockerfile.stages.find((s) => s.name === 'build')!;
    expect(only(build, 'RUN').map((r) => r.body)).toEqual(expect.arrayContaining(['npm ci --no-audit --no-fund', 'npm run build']));
    expect(final.image).toBe(build.image);
    expect(final.image).toMatch(/^node:\d+-[a-z]+-slim$/);
    const major = Number(/^node:(\d+)/.exec(final.image)![1]);
    expect(major % 2, 'an even major: an LTS line').toBe(0);
    const engines = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).engines.node as string;
    expect(semver.satisfies(`${major}.0.0`, engines)).toBe(true);
    // What the test copies is what the image holds, and nothing else.
    const copies = only(final, 'COPY').map((c) => [c.flags.from ?? 'context', c.body]);
    expect(copies).toEqual([
      ['context', 'package.json package-lock.json ./'],
      ['build', `${workdir(build)}/dist ./dist`],
      ['context', 'itineraries ./itineraries'],
      ['context', 'deploy/docker ./deploy/docker'],
    ]);
    // Every RUN of the final stage is one this test repeats, or the init process it stands in for.
    const runs = only(final, 'RUN').map((r) => r.body);
    expect(runs.filter((r) => !/^(npm ci |ln -s )/.test(r))).toEqual([
      expect.stringMatching(/^apt-get update .*apt-get install -y --no-install-recommends tini /),
    ]);
    expect(runs).toContain('npm ci --omit=dev --ignore-scripts --no-audit --no-fund');
    expect(stageEnv(final)).toMatchObject({ NODE_ENV: 'production', ITINERA_ITINERARIES: `${APP}/itineraries` });
    expect(only(final, 'USER')[0].body).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    // tini forwards SIGTERM; -e 143 reports Nest's re-raised SIGTERM after the drain as a clean exit.
    expect(ENTRYPOINT.slice(0, 4)).toEqual(['/usr/bin/tini', '-e', '143', '--']);
    expect(only(final, 'HEALTHCHECK')[0].rest).toMatch(/^--interval=\S+ .*--start-period=\d+s .*CMD \["node", /);
  });

  it('.dockerignore keeps host builds, installs, secrets and history out, and the sources the build needs in', () => {
    for (const p of [
      'node_modules/fastify/package.json',
      'libs/client/node_modules/x',
      'dist/apps/bus/main.js',
      '.git/HEAD',
      '.env',
      '.env.production',
      'test/e2e/x.test.ts',
    ])
      expect(isIgnored(dockerignore, p), p).toBe(true);
    // What a clean clone holds of the build's inputs (sources, lock file, build scripts) and of the final stage's.
    const tracked = spawnSync(
      'git',
      ['ls-files', '-z', 'package.json', 'package-lock.json', 'tsconfig*.json', 'apps', 'libs', 'itineraries', 'schema', 'scripts', 'deploy/docker'],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      },
    );
    const needed = tracked.stdout.split('\0').filter(Boolean);
    expect(needed).toEqual(expect.arrayContaining(['scripts/build.mjs', 'deploy/docker/entrypoint.sh', 'itineraries/calculator.json']));
    expect(needed.filter((p) => isIgnored(dockerignore, p))).toEqual([]);
  });

  it('the production install holds no dev dependency', () => {
    const lock = JSON.parse(readFileSync(inImage('package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const dev = Object.entries(lock.packages).filter(([p, m]) => p && m.dev);
    expect(dev.length).toBeGreaterThan(50);
    expect(dev.filter(([p]) => existsSync(inImage(p))).map(([p]) => p)).toEqual([]);
    for (const name of DEV_TOOLS) expect(existsSync(inImage(`node_modules/${name}`)), name).toBe(false);
    expect(existsSync(inImage('node_modules/fastify/package.json'))).toBe(true);
  });

  it('bus: embedded box, ready by the HEALTHCHECK, a calculator message end to end, the built browser client, only installed files loaded, SIGTERM stops it cleanly', async () => {
    const bus = start('bus', { PORT: String(await freePort()) });
    await ready(bus);
    const c = await RawDuplex.open(bus.url);
    expect((await c.call('1', 'calculator', 'AddTo', { n: 40 })).type).toBe('accepted');
    expect((await c.call('2', 'calculator', 'AddTo', { n: 2 })).type).toBe('accepted');
    await waitFor(() => c.callbacks().length >= 2, 'two Result callbacks', 20_000);
    expect(c.callbacks().map((f) => [f.action, f.body.result])).toEqual([
      ['Result', 40],
      ['Result', 42],
    ]);
    await c.close();
    // The browser client is the build's file, served as is (no esbuild at run time).
    const client = await fetch(`${bus.url}/client/itinera.js`);
    expect(client.status).toBe(200);
    expect(await client.text()).toMatch(/window\.Itinera/);

    const files = await loadedFiles(bus);
    expect(files).toContain(inImage('dist/apps/bus/main.js'));
    expect(files.some((f) => f.startsWith(inImage('node_modules/@nestjs/core/')))).toBe(true);
    expect(files.filter((f) => !f.startsWith(`${inImage('.')}/`))).toEqual([]);
    expect(files.filter((f) => DEV_TOOLS.some((t) => f.includes(`/node_modules/${t}/`)))).toEqual([]);

    bus.proc.kill('SIGTERM');
    const end = await bus.exited;
    // Nest re-raises SIGTERM once its shutdown hooks ran (tini -e 143 turns that into 0 in the image).
    expect(end.code === 0 || end.signal === 'SIGTERM', JSON.stringify(end)).toBe(true);
    expect(bus.logs.some((l) => l.msg === 'bus stopped')).toBe(true);
    expect(bus.stderr()).toBe('');
    expect(healthcheck(bus.url.split(':').at(-1)!), 'the HEALTHCHECK fails once nothing answers').toBe(1);
  });

  it('gateway + worker on BullMQ with itineraries mounted over ITINERA_ITINERARIES: SIGTERM to the worker mid-message drains it', async () => {
    redis = await startRedis({ appendonly: true });
    // A mounted folder: the baked-in samples plus a slow itinerary to stop the worker in the middle of.
    const mounted = join(root, 'mnt/itineraries');
    cpSync(inImage('itineraries'), mounted, { recursive: true });
    writeFileSync(
      join(mounted, 'slow.json'),
      JSON.stringify({
        name: 'slow',
        version: '1.0.0',
        steps: [
          { id: 'started', service: 'callback', options: { action: 'Started', expression: "{ 'n': body.n }" } },
          { id: 'wait', service: 'delay', options: { ms: 5000 } },
          { id: 'done', service: 'callback', options: { action: 'Done', expression: "{ 'n': body.n }" } },
        ],
      }),
    );
    const cluster = { ITINERA_TRANSPORT: 'bullmq', REDIS_URL: redis.url, ITINERA_ITINERARIES: mounted };
    const gateway = start('gateway', { ...cluster, PORT: String(await freePort()), ITINERA_NODE: 'gateway-1' });
    const worker = start('worker', { ...cluster, PORT: String(await freePort()), ITINERA_NODE: 'worker-1' });
    await Promise.all([ready(gateway), ready(worker)]);
    // Ready may answer a moment before the line is written.
    expect(await waitFor(() => gateway.logs.find((l) => l.msg === 'gateway listening'), 'the listening line')).toMatchObject({ role: 'gateway' });

    const c = await RawDuplex.open(gateway.url);
    expect((await c.call('1', 'calculator', 'AddTo', { n: 5 })).type).toBe('accepted');
    expect(await c.next((f) => f.action === 'Result', 20_000)).toMatchObject({ body: { result: 5 } });

    const accepted = await c.call('2', 'slow', 'Go', { n: 9 });
    expect(accepted.type).toBe('accepted');
    await c.next((f) => f.action === 'Started', 20_000);
    const killedAt = Date.now();
    worker.proc.kill('SIGTERM');
    // The only worker finishes the message it holds before it exits: nobody else could run `done`.
    expect(await c.next((f) => f.action === 'Done', 30_000)).toMatchObject({ body: { n: 9 } });
    const end = await worker.exited;
    expect(end.code === 0 || end.signal === 'SIGTERM', JSON.stringify(end)).toBe(true);
    const done = worker.logs.find((l) => l.messageId === accepted.messageId && l.step === 'done');
    expect(new Date(done.time).getTime(), 'the step ran after SIGTERM, in the drain').toBeGreaterThanOrEqual(killedAt);
    expect(worker.stderr()).toBe('');

    const files = await loadedFiles(gateway);
    expect(files).toContain(inImage('dist/apps/gateway/main.js'));
    expect(files.some((f) => f.startsWith(inImage('node_modules/bullmq/')))).toBe(true);
    expect(files.filter((f) => !f.startsWith(`${inImage('.')}/`))).toEqual([]);
    await c.close();
    gateway.proc.kill('SIGTERM');
    await gateway.exited;
  });

  it('itinera validate runs from the install, through the entrypoint and on PATH', () => {
    const script = inImage(ENTRYPOINT[ENTRYPOINT.indexOf('--') + 1]);
    for (const [cmd, args] of [
      [script, ['itinera', 'validate']], // the folder from ITINERA_ITINERARIES, as `docker run <image> itinera validate`
      ['itinera', ['validate', inImage('itineraries')]],
    ] as const) {
      const r = spawnSync(cmd, args, { cwd: inImage('.'), env: env(), encoding: 'utf8', timeout: 60_000 });
      expect(r.status, `${cmd} ${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/valid: 4 itineraries/);
    }
    const wrong = spawnSync(script, ['itinera', 'validate', join(root, 'no-such-folder')], {
      cwd: inImage('.'),
      env: env(),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(wrong.status).not.toBe(0);
  });
});
