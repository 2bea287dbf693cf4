#!/usr/bin/env node
// `npm run build`: compiles every app and lib to dist/ so the apps run on plain node.
// tsc (CommonJS, source maps, incremental) + tsc-alias for the @itinera/* paths, then the
// entry files dist/apps/<app>/main.js, the static files and the browser client bundle.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const bin = (name) => join(root, 'node_modules', '.bin', name);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build: ${[cmd, ...args].join(' ')} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

// --clean (npm pack, images): start from an empty dist/ so no file of an older build ships.
if (process.argv.includes('--clean')) rmSync(dist, { recursive: true, force: true });

run(bin('tsc'), ['-p', 'tsconfig.build.json']);
run(bin('tsc-alias'), ['-p', 'tsconfig.build.json']);

// One stable entry per app, so images and manifests name dist/apps/<app>/main.js.
const APPS = ['bus', 'gateway', 'worker', 'cli'];
for (const app of APPS) {
  const file = join(dist, 'apps', app, 'main.js');
  const shebang = app === 'cli' ? '#!/usr/bin/env node\n' : '';
  writeFileSync(file, `${shebang}'use strict';\nrequire('./src/main.js');\n`);
  if (app === 'cli') chmodSync(file, 0o755);
}

// Static files: the demo page, and the browser client bundle beside it (served at /client/itinera.js).
const pub = join(dist, 'apps', 'bus', 'public');
cpSync(join(root, 'apps', 'bus', 'public'), pub, { recursive: true });
mkdirSync(join(pub, 'client'), { recursive: true });
// The @itinera/client package (ESM, CommonJS, declarations, browser builds) into libs/client/dist;
// its IIFE is the bundle the gateway serves.
run(process.execPath, [join(root, 'libs', 'client', 'scripts', 'build.mjs')]);
for (const file of ['itinera.js', 'itinera.js.map']) {
  cpSync(join(root, 'libs', 'client', 'dist', 'browser', file), join(pub, 'client', file));
}

// The operator console (libs/console/src/ui): one script, one stylesheet and the HTML shell in
// dist/libs/console/public, served at /console/. The compiled lib bundles it, so the build and
// a bus run from sources make the same files.
const { writeConsole } = createRequire(import.meta.url)(join(dist, 'libs', 'console', 'src', 'console-assets.js'));
rmSync(join(dist, 'libs', 'console', 'public'), { recursive: true, force: true });
await writeConsole(join(root, 'libs', 'console', 'src', 'ui'), join(dist, 'libs', 'console', 'public'));

if (!existsSync(join(dist, 'libs', 'engine', 'src', 'expression-worker.js'))) {
  console.error('build: dist/libs/engine/src/expression-worker.js is missing');
  process.exit(1);
}
console.log('build: dist/ is ready (node dist/apps/<bus|gateway|worker|cli>/main.js)');
