#!/usr/bin/env node
// The `tally` command (and `npm start`, which is `tally serve`). Loads the TypeScript sources
// through tsx so that a fresh clone needs nothing but `npm install`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
// A command is done when main returns; do not let a stray handle keep the process alive.
setTimeout(() => process.exit(code), 1000).unref();
