#!/usr/bin/env node
'use strict';
// The `itinera` command (package.json bin). Installed from the package, it runs
// the build, dist/apps/cli/main.js, on plain node. In a source checkout with the
// dev dependencies it runs the TypeScript sources through the tsx CLI instead
// (with the repo's tsconfig, so the @itinera/* paths resolve): edits apply
// without a rebuild.
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '../../..');
const source = path.join(root, 'apps/cli/src/main.ts');
const built = path.join(root, 'dist/apps/cli/main.js');

function tsxCli() {
  try {
    return require.resolve('tsx/cli');
  } catch {
    return undefined;
  }
}

const tsx = existsSync(source) ? tsxCli() : undefined;
if (tsx) {
  const args = [tsx, '--tsconfig', path.join(root, 'tsconfig.json'), source, ...process.argv.slice(2)];
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
} else if (existsSync(built)) {
  require(built);
} else {
  process.stderr.write(`itinera: ${path.relative(process.cwd(), built)} is missing: run \`npm run build\` first\n`);
  process.exitCode = 1;
}
