#!/usr/bin/env node
// `npm pack` of the root package (the installable `itinera` CLI and bus) ships its production
// dependencies bundled, exactly as package-lock.json resolved them: npm applies `overrides`
// only to this repository, so a consumer resolving afresh would get releases needing Node 22.
// `bundleDependencies` cannot stay in package.json, because with it `npm ci` finds the lock
// out of sync; prepack adds it for the pack and postpack takes it out again.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = join(root, 'package.json');
const backup = join(root, '.package.json.pack');

const mode = process.argv[2];
if (mode === 'bundle') {
  const text = readFileSync(manifest, 'utf8');
  writeFileSync(backup, text);
  const pkg = JSON.parse(text);
  pkg.bundleDependencies = true;
  writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
} else if (mode === 'restore') {
  if (existsSync(backup)) renameSync(backup, manifest);
} else {
  console.error('usage: pack-manifest.mjs bundle|restore');
  process.exit(2);
}
