#!/usr/bin/env -S node --max-semi-space-size=32 --heap-growing-percent=30
// V8 flags, measured with `npm run bench:ingest` (docs/benchmarks.md); `npm start` passes the same:
// --max-semi-space-size=32 (MB, default 16): a beacon's objects live until its batch commits
//   (tens of ms), so with the default young generation most of them survived two scavenges and
//   were promoted; 32 MB cut the server's CPU per beacon by ~30 % at 5,000 beacons/s.
// --heap-growing-percent=30: the old generation grows to 1.3× the live heap before a full GC
//   instead of up to ~4× (live is ~30 MB under load); peak RSS 444 → 347 MB, CPU unchanged.
// The `tally` command (and `npm start`, which is `tally serve`). Loads the TypeScript sources
// through tsx so that a fresh clone needs nothing but `npm install`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
// A command is done when main returns; do not let a stray handle keep the process alive.
setTimeout(() => process.exit(code), 1000).unref();
