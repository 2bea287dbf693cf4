#!/usr/bin/env node
'use strict';
// In a checkout: runs the TypeScript sources through tsx (a dev dependency), with
// the repo's tsconfig so the @itinera/* path aliases resolve. The installed
// package's `itinera` is the built dist/apps/cli/main.js instead (package.json bin).
const path = require('node:path');

const previous = process.env.TSX_TSCONFIG_PATH;
process.env.TSX_TSCONFIG_PATH = path.resolve(__dirname, '../../../tsconfig.json');
require('tsx/cjs/api').register();
if (previous === undefined) delete process.env.TSX_TSCONFIG_PATH;
else process.env.TSX_TSCONFIG_PATH = previous;

require('../src/main.ts');
