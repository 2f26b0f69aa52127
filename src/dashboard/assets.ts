import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/**
 * The analysts' dashboard (dashboards/): one HTML page, its CSS, its script (TypeScript bundled
 * by esbuild in memory, like the tracker: no build step on a fresh clone) and chart.js's UMD
 * build read from node_modules — everything served by Tally itself, nothing from a CDN.
 *
 * Every asset carries a content hash: the page links `…/app.js?v=<hash>` so a deploy is picked
 * up at once while repeat visits revalidate nothing (see routes.ts for the cache headers).
 */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboards/', import.meta.url));
export const DASHBOARD_ENTRY = join(DASHBOARD_DIR, 'src/main.ts');

export interface Asset {
  name: string;
  contentType: string;
  body: Buffer;
  gzip: Buffer;
  /** Content hash (22 base64url characters); the strong ETag is `"<hash>"`, the gzip body's `"<hash>-gz"`. */
  hash: string;
  etag: string;
  etagGzip: string;
}

export interface DashboardAssets {
  html: Asset;
  /** By file name under /dashboard/assets/. */
  assets: Map<string, Asset>;
}

function asset(name: string, contentType: string, body: Buffer): Asset {
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 22);
  return { name, contentType, body, gzip: gzipSync(body, { level: 9 }), hash, etag: `"${hash}"`, etagGzip: `"${hash}-gz"` };
}

/** dist/chart.umd.js of the installed chart.js (its package exports hide the path, so resolve the main entry). */
export function chartJsPath(): string {
  const main = createRequire(import.meta.url).resolve('chart.js');
  return join(dirname(main), 'chart.umd.js');
}

async function bundleApp(): Promise<Buffer> {
  const result = await build({
    entryPoints: [DASHBOARD_ENTRY],
    bundle: true,
    minify: true,
    format: 'iife',
    // Evergreen browsers of the last ~3 years (Intl.supportedValuesOf, string decimals in NumberFormat).
    target: 'es2022',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  return Buffer.from(result.outputFiles[0]!.contents);
}

export async function buildDashboard(): Promise<DashboardAssets> {
  const [app, css, icon, chart, template] = await Promise.all([
    bundleApp(),
    readFile(join(DASHBOARD_DIR, 'dashboard.css')),
    readFile(join(DASHBOARD_DIR, 'favicon.svg')),
    readFile(chartJsPath()),
    readFile(join(DASHBOARD_DIR, 'index.html'), 'utf8'),
  ]);
  const list = [
    asset('app.js', 'application/javascript; charset=utf-8', app),
    asset('dashboard.css', 'text/css; charset=utf-8', css),
    asset('favicon.svg', 'image/svg+xml', icon),
    asset('chart.umd.js', 'application/javascript; charset=utf-8', chart),
  ];
  const assets = new Map(list.map((a) => [a.name, a]));
  // {{asset:NAME}} in index.html → the versioned URL of that asset.
  const html = template.replace(/\{\{asset:([\w.-]+)\}\}/g, (_m, name: string) => {
    const a = assets.get(name);
    if (!a) throw new Error(`dashboards/index.html links an unknown asset ${name}`);
    return `/dashboard/assets/${a.name}?v=${a.hash}`;
  });
  return { html: asset('index.html', 'text/html; charset=utf-8', Buffer.from(html)), assets };
}

let cached: Promise<DashboardAssets> | undefined;

/** Built once per process on first use (the routes start it when the app is created). */
export function dashboardAssets(): Promise<DashboardAssets> {
  cached ??= buildDashboard().catch((error: unknown) => {
    cached = undefined; // let the next request try again
    throw error;
  });
  return cached;
}
