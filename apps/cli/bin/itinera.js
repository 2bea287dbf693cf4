#!/usr/bin/env node
'use strict';
// Runs the TypeScript sources directly through tsx, with the repo's tsconfig so
// the @itinera/* path aliases resolve.
const path = require('node:path');

const previous = process.env.TSX_TSCONFIG_PATH;
process.env.TSX_TSCONFIG_PATH = path.resolve(__dirname, '../../../tsconfig.json');
require('tsx/cjs/api').register();
if (previous === undefined) delete process.env.TSX_TSCONFIG_PATH;
else process.env.TSX_TSCONFIG_PATH = previous;

require('../src/main.ts');
