import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildTracker, TRACKER_BUDGET_BYTES } from '../tracker/build.ts';
import { parseFlags } from './context.ts';

/**
 * `tally build-tracker [--out DIR]`: bundles the tracker as the server does at start, writes
 * DIR/t.js and DIR/t.js.gz (default src/tracker/dist, gitignored) for a CDN, prints the sizes,
 * and exits 1 when the gzipped size is over budget.
 */
export async function buildTrackerCommand(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { out: { type: 'string' } });
  const out = values.out ?? fileURLToPath(new URL('../tracker/dist', import.meta.url));
  const bundle = await buildTracker();
  mkdirSync(out, { recursive: true });
  writeFileSync(`${out}/t.js`, bundle.code);
  writeFileSync(`${out}/t.js.gz`, bundle.gzip);
  const within = bundle.gzip.length <= TRACKER_BUDGET_BYTES;
  process.stdout.write(
    `t.js: ${bundle.code.length} bytes minified, ${bundle.gzip.length} bytes gzipped ` +
      `(budget ${TRACKER_BUDGET_BYTES}: ${within ? 'ok' : 'OVER BUDGET'}) -> ${out}/t.js\n`,
  );
  return within ? 0 : 1;
}
