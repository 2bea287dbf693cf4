#!/usr/bin/env node
'use strict';
// The `itinera` command (package.json bin). Installed from the package, it runs
// the build, dist/apps/cli/main.js, on plain node. In a source checkout with the
// dev dependencies it runs the TypeScript sources through tsx instead, with the
// repo's tsconfig so the @itinera/* paths resolve: edits apply without a rebuild.
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '../../..');
const source = path.join(root, 'apps/cli/src/main.ts');
const built = path.join(root, 'dist/apps/cli/main.js');

function tsxApi() {
  try {
    return require.resolve('tsx/cjs/api');
  } catch {
    return undefined;
  }
}

const tsx = existsSync(source) ? tsxApi() : undefined;
if (tsx) {
  const previous = process.env.TSX_TSCONFIG_PATH;
  process.env.TSX_TSCONFIG_PATH = path.join(root, 'tsconfig.json');
  require(tsx).register();
  if (previous === undefined) delete process.env.TSX_TSCONFIG_PATH;
  else process.env.TSX_TSCONFIG_PATH = previous;
  require(source);
} else if (existsSync(built)) {
  require(built);
} else {
  process.stderr.write(`itinera: ${path.relative(process.cwd(), built)} is missing: run \`npm run build\` first\n`);
  process.exitCode = 1;
}
