import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/**
 * Gzipped size budget of /t.js with every feature (Umami 2.2 KB without heatmaps/errors, Plausible 2.7 KB).
 * 3,000 until `tally.experiment` (issue #17 allowed 3,200 for it; it costs ~190 bytes).
 */
export const TRACKER_BUDGET_BYTES = 3200;

export const TRACKER_ENTRY = fileURLToPath(new URL('./browser/index.ts', import.meta.url));

export interface TrackerBundle {
  code: Buffer;
  gzip: Buffer;
  /** Strong ETag of the identity body; the gzip body's ETag is `etagGzip` (RFC 9110: one per representation). */
  etag: string;
  etagGzip: string;
}

/**
 * Bundles and minifies src/tracker/browser into one IIFE, in memory (no build step on a fresh
 * clone). Target ES2020 (Chrome 80+, Firefox 74+, Safari 13.1+): `?.` and `??` stay unlowered, which saves ~60 gzipped bytes.
 */
export async function buildTracker(): Promise<TrackerBundle> {
  const result = await build({
    entryPoints: [TRACKER_ENTRY],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const code = Buffer.from(result.outputFiles[0]!.contents);
  const gzip = gzipSync(code, { level: 9 });
  const hash = createHash('sha256').update(code).digest('base64url').slice(0, 22);
  return { code, gzip, etag: `"${hash}"`, etagGzip: `"${hash}-gz"` };
}

let cached: Promise<TrackerBundle> | undefined;

/** The bundle of this process, built once on first use (the server asks for it at start). */
export function trackerBundle(): Promise<TrackerBundle> {
  cached ??= buildTracker().catch((error: unknown) => {
    cached = undefined; // let the next request try again
    throw error;
  });
  return cached;
}
