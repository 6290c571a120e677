#!/usr/bin/env node
// Runs a TypeScript entry point from source (dev, demo, stack tools): swc transpiles on load, honouring
// tsconfig path aliases and decorator metadata, so no build step is needed before `npm start`.
const { resolve, join } = require('node:path');

const [, , entry, ...rest] = process.argv;
if (!entry) {
  process.stderr.write('usage: node tools/dev/run-ts.js <file.ts> [args…]\n');
  process.exit(2);
}
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || join(__dirname, '..', '..', 'tsconfig.json');
require('@swc-node/register');
// runMain makes the entry `require.main`, so `if (require.main === module)` blocks behave as with plain node.
process.argv = [process.argv[0], resolve(entry), ...rest];
require('node:module').runMain();
