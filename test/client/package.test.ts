import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { ensureBuilt, launchChromium, startTestBus } from '@itinera/testing';
import { compile, installPackedClient, snippetAfter, type ClientProject } from './support/packed-client';

// A calculator round trip written once, run as an ES module (import) and as CommonJS (require).
const ROUND_TRIP = `
async function main() {
  const [url, transport] = process.argv.slice(2);
  const client = new ItineraClient({ url, transport, WebSocket, reconnect: false });
  const results = [];
  let cleared;
  const equation = new Promise((resolve) => (cleared = resolve));
  client.bind({ Result: (body) => void results.push(body.result), Equation: (body) => cleared(body.equation) });
  const fault = new Promise((resolve) => client.onFault((error, frame) => resolve(error.code + '@' + frame.seq)));
  await client.connect();
  await client.send('calculator', 'AddTo', { n: 2 });
  await client.send('calculator', 'MultiplyBy', { n: 21 });
  await client.send('calculator', 'DivideBy', { n: 0 });
  await client.send('calculator', 'Clear');
  const refused = await client.send('no-such-itinerary', 'AddTo', { n: 1 }).catch((err) => err instanceof ItineraClientError && err.code);
  const out = { transport: client.transport, results, fault: await fault, equation: await equation, refused, entry: RESOLVED };
  await client.close();
  console.log(JSON.stringify(out));
}
main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
`;
const ESM = `import WebSocket from 'ws';\nimport { ItineraClient, ItineraClientError } from '@itinera/client';\nconst RESOLVED = import.meta.resolve('@itinera/client');\n${ROUND_TRIP}`;
const CJS = `const WebSocket = require('ws');\nconst { ItineraClient, ItineraClientError } = require('@itinera/client');\nconst RESOLVED = require.resolve('@itinera/client');\n${ROUND_TRIP}`;

describe('@itinera/client as a package, installed outside the repository', () => {
  let project: ClientProject;
  let bus: Awaited<ReturnType<typeof startTestBus>>;

  beforeAll(async () => {
    await ensureBuilt();
    project = await installPackedClient();
    bus = await startTestBus();
  }, 600_000);
  afterAll(async () => {
    await bus?.close();
    project?.remove();
  });

  it('packs the builds, declarations and README only, and declares ws as an optional peer', () => {
    const paths = project.files.map((f) => f.path);
    for (const f of [
      'package.json',
      'README.md',
      'dist/index.mjs',
      'dist/index.cjs',
      'dist/index.d.mts',
      'dist/types/index.d.ts',
      'dist/browser/itinera.js',
      'dist/browser/itinera.mjs',
    ]) {
      expect(paths).toContain(f);
    }
    expect(paths.filter((p) => !p.startsWith('dist/') && p !== 'package.json' && p !== 'README.md')).toEqual([]);
    expect(paths.filter((p) => p.includes('.spec.'))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(project.installed, 'package.json'), 'utf8'));
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.peerDependencies).toEqual({ ws: expect.any(String) });
    expect(pkg.peerDependenciesMeta).toEqual({ ws: { optional: true } });
    // Installed with its peer on the running Node: nothing asks for a newer one.
    expect(project.installLog).not.toMatch(/EBADENGINE/);
    // The declarations stand alone: nothing of the repository's other libs.
    const types = project.files.filter((f) => f.path.endsWith('.d.ts')).map((f) => readFileSync(join(project.installed, f.path), 'utf8'));
    expect(types.join('\n')).not.toMatch(/@itinera\/(?!client)/);
  });

  it.each([
    ['ESM (import)', 'websocket', 'round-trip.mjs', ESM, 'dist/index.mjs'],
    ['ESM (import)', 'long-polling', 'round-trip.mjs', ESM, 'dist/index.mjs'],
    ['CommonJS (require)', 'websocket', 'round-trip.cjs', CJS, 'dist/index.cjs'],
    ['CommonJS (require)', 'long-polling', 'round-trip.cjs', CJS, 'dist/index.cjs'],
  ])(
    '%s drives the bus over %s: callbacks, a fault, a refusal',
    async (_kind, transport, file, source, entry) => {
      project.write(file, source);
      const { stdout } = await project.node(file, bus.url, transport);
      const out = JSON.parse(stdout.trim().split('\n').pop()!);
      expect(out).toEqual({
        transport,
        results: [2, 42],
        fault: 'DIVIDE_BY_ZERO@3',
        equation: '0 + 2 * 21 = 42',
        refused: 'ITINERARY_NOT_FOUND',
        entry: expect.stringContaining(`node_modules/@itinera/client/${entry}`),
      });
      expect(out.entry).toContain(project.dir); // from the temporary project, not the repository
    },
    60_000,
  );

  const snippets = [
    { name: 'README.md', source: () => snippetAfter('README.md', '### The client library'), expected: ['result 100', 'fault DIVIDE_BY_ZERO'] },
    {
      name: 'libs/client/README.md',
      source: () => snippetAfter('libs/client/README.md', '## Node: the calculator (seed 003)'),
      expected: [
        'Result 100',
        'Result 50',
        'Result 150',
        'Result 75',
        'fault DIVIDE_BY_ZERO Cannot divide by zero',
        'Equation 0 + 100 - 50 * 3 / 2 = 75',
        'ITINERARY_NOT_FOUND',
      ],
    },
  ];

  it('the client snippets typecheck against the installed declarations, as ESM and as CommonJS', async () => {
    const files = snippets.flatMap(({ name, source }) => {
      const base = name.replace(/\W+/g, '-');
      return [project.write(`${base}.mts`, source()), project.write(`${base}.cts`, source())];
    });
    // The published types keep the contract: a handler missing from bind() does not compile.
    files.push(project.write('contract.mts', CONTRACT_CHECK));
    await expect(project.typecheck(files)).resolves.toBe('');
  }, 180_000);

  it.each(snippets)(
    'the client snippet of $name runs as written, as ESM and as CommonJS',
    async ({ name, source, expected }) => {
      const code = source().replace(/http:\/\/localhost:3000/g, bus.url);
      expect(code).not.toBe(source());
      const base = name.replace(/\W+/g, '-');
      for (const [file, format] of [
        [`${base}.mjs`, 'esm'],
        [`${base}.cjs`, 'cjs'],
      ] as const) {
        project.write(file, compile(code, format));
        const { stdout } = await project.node(file);
        expect(stdout.trim().split('\n'), `${file}`).toEqual(expected);
      }
    },
    60_000,
  );

  describe('in Chromium, from the installed browser builds', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    }, 120_000);
    afterAll(async () => browser?.close());

    it.each([
      ['the IIFE (window.Itinera)', 'websocket', `<script src="/__pkg/itinera.js"></script>`],
      ['the IIFE (window.Itinera)', 'long-polling', `<script src="/__pkg/itinera.js"></script>`],
      ['the ES module', 'websocket', `<script type="module">import * as Itinera from '/__pkg/itinera.mjs'; window.Itinera = Itinera;</script>`],
    ])('%s does a round trip over %s', async (_build, transport, script) => {
      // The page comes from page.route, which Chromium's local network access checks count as
      // public: allow it to reach the bus on loopback, as a user would allow a real page.
      const context = await browser.newContext({ permissions: ['local-network-access'] });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      // Served from the bus's origin (so the page talks to it as the demo does), from node_modules.
      const files: Record<string, string> = {
        'itinera.js': readFileSync(join(project.installed, 'dist/browser/itinera.js'), 'utf8'),
        'itinera.mjs': readFileSync(join(project.installed, 'dist/browser/itinera.mjs'), 'utf8'),
      };
      await page.route(`${bus.url}/__pkg/**`, (route) => {
        const name = new URL(route.request().url()).pathname.slice('/__pkg/'.length);
        if (name === 'page.html') return route.fulfill({ contentType: 'text/html', body: `<!doctype html><title>client</title>${script}` });
        return files[name] ? route.fulfill({ contentType: 'text/javascript', body: files[name] }) : route.fulfill({ status: 404 });
      });
      await page.goto(`${bus.url}/__pkg/page.html`);
      await page.waitForFunction(() => 'Itinera' in window);
      const out = await page.evaluate(async (t) => {
        type Client = import('@itinera/client').ItineraClient<{ Result: { result: number } }>;
        const { ItineraClient } = (window as unknown as { Itinera: typeof import('@itinera/client') }).Itinera;
        const c: Client = new ItineraClient({ transport: t as 'websocket' });
        const results: number[] = [];
        const second = new Promise<void>((resolve) => c.on('Result', (b) => void (results.push(b.result) === 2 && resolve())));
        const fault = new Promise<string>((resolve) => c.onFault((e) => resolve(e.code)));
        await c.connect();
        await c.send('calculator', 'AddTo', { n: 20 });
        await c.send('calculator', 'AddTo', { n: 22 });
        await second;
        await c.send('calculator', 'DivideBy', { n: 0 });
        const out = { transport: c.transport, results, fault: await fault };
        await c.close();
        return out;
      }, transport);
      expect(out).toEqual({ transport, results: [20, 42], fault: 'DIVIDE_BY_ZERO' });
      expect(errors).toEqual([]);
      await context.close();
    });
  });
});

const CONTRACT_CHECK = `import { ItineraClient } from '@itinera/client';
interface Calculator {
  Result: { result: number };
  Equation: { equation: string };
}
const client = new ItineraClient<Calculator>({ url: 'http://localhost:3000' });
client.bind({ Result: (body) => void body.result, Equation: (body) => void body.equation });
// @ts-expect-error Equation is missing
client.bind({ Result: () => undefined });
// @ts-expect-error not a callback of the contract
client.on('Nope', () => undefined);
`;
