#!/usr/bin/env node
// Builds the @itinera/client package into libs/client/dist/:
//   index.mjs / index.cjs    Node and bundlers (ESM, CommonJS)
//   browser/itinera.mjs      browsers, as an ES module (the `browser` condition)
//   browser/itinera.js       browsers, a <script> (IIFE) that sets window.Itinera
//   types/*.d.ts, index.d.mts  declarations (tsc), for require and import
// esbuild and typescript are dev dependencies (the repository's when built in it).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(pkg, 'dist');
const src = (file) => join(pkg, 'src', file);
const require = createRequire(import.meta.url);
const esbuild = await import('esbuild');

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

// No dependencies to leave out: the client imports nothing but its own files.
const common = { bundle: true, sourcemap: true, legalComments: 'none', logLevel: 'warning' };
const banner = { js: '/* @itinera/client: the Itinera duplex client */' };
await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: [src('index.ts')],
    outfile: join(dist, 'index.mjs'),
    format: 'esm',
    platform: 'neutral',
    target: ['node20', 'es2020'],
  }),
  esbuild.build({ ...common, entryPoints: [src('index.ts')], outfile: join(dist, 'index.cjs'), format: 'cjs', platform: 'node', target: ['node20'] }),
  esbuild.build({
    ...common,
    entryPoints: [src('index.ts')],
    outfile: join(dist, 'browser', 'itinera.mjs'),
    format: 'esm',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    banner,
  }),
  esbuild.build({
    ...common,
    entryPoints: [src('browser.ts')],
    outfile: join(dist, 'browser', 'itinera.js'),
    format: 'iife',
    globalName: 'Itinera',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    banner: { js: '/* Itinera duplex client: window.Itinera (ItineraClient, connect, ItineraClientError) */' },
  }),
]);

const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(pkg, 'tsconfig.build.json')], { stdio: 'inherit' });
if (tsc.status !== 0) {
  console.error(`build: tsc declarations failed (exit ${tsc.status ?? tsc.signal})`);
  process.exit(1);
}
// ESM consumers get the same declarations through an ES-module entry (no CommonJS types posing as ESM).
writeFileSync(join(dist, 'index.d.mts'), "export * from './types/index.js';\n");
console.log(`build: ${dist} (index.mjs, index.cjs, browser/itinera.js, browser/itinera.mjs, types/)`);
