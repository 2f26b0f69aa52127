/**
 * The feature reports of `npm run bench:reports` (funnels, retention, experiment, errors,
 * heatmap, vitals, and site search / discount codes when their folders exist): one case per
 * (report, range), each with the HTTP request the bench times and the raw-rows SQL baseline
 * (loadtest/bench-reports-raw-features.ts) computing the same numbers, run in the same process
 * after every timed request.
 */
import { existsSync } from 'node:fs';
import type pg from 'pg';
import { addDays, localDateToUtc } from '../src/reports/common/params.ts';
import type { RetentionQuery } from '../src/reports/retention/report.ts';
import {
  rawErrorsSql, rawExperimentSql, rawFunnelSql, rawHeatmapSql, rawRetentionSql, rawVitalsSql, type FunnelBenchStep, type Q,
} from './bench-reports-raw-features.ts';

export interface FeatureCase {
  name: string;
  days: number;
  method: 'GET' | 'POST';
  /** Under /api/v1/sites/{siteId}. */
  path: string;
  body?: unknown;
  /** The raw-rows baseline, run concurrently and timed as a whole; null when none is defined. */
  raw: Q[] | null;
}

/** The ad-hoc funnel of the bench (issue #15 point 5): 4 steps ending in a paid order. */
export const BENCH_FUNNEL: FunnelBenchStep[] = [
  { type: 'pageview', path: '/products/*' },
  { type: 'event', name: 'add_to_cart' },
  { type: 'pageview', path: '/checkout' },
  { type: 'order' },
];
const WINDOW = 604_800;

/** Optional raw baselines of other helpers' reports (search, discounts), wired in when present. */
async function optionalRaw(file: string, site: string, start: Date, end: Date, tz: string): Promise<Q[] | null> {
  const url = new URL(file, import.meta.url);
  if (!existsSync(url)) return null;
  type RawFn = (site: string, start: Date, end: Date, tz: string) => Q[];
  const mod = (await import(url.href)) as Record<string, unknown>;
  // `raw(site, start, end, tz)`, else the module's `…RawQueries` function (bench-search-raw.ts).
  const fn = mod.raw ?? Object.entries(mod).find(([k, v]) => k.endsWith('RawQueries') && typeof v === 'function')?.[1];
  return typeof fn === 'function' ? (fn as RawFn)(site, start, end, tz) : null;
}

/**
 * Discount codes for data without any (the SQL generator; a demo before codes): the seed that
 * helper A's loadtest/bench-discounts-raw.ts offers, run before the commerce rollups.
 */
export async function seedDiscountCodes(pool: pg.Pool, siteId: string): Promise<boolean> {
  const url = new URL('./bench-discounts-raw.ts', import.meta.url);
  if (!existsSync(url)) return false;
  const mod = (await import(url.href)) as { seedBenchDiscountCodesSql?: (site: string) => Q };
  if (!mod.seedBenchDiscountCodesSql) return false;
  const any = await pool.query({ text: `SELECT 1 FROM order_discount_codes WHERE site_id = $1::bigint LIMIT 1`, values: [siteId] });
  if (any.rowCount) return false;
  await pool.query(mod.seedBenchDiscountCodesSql(siteId));
  return true;
}

/**
 * The funnel baseline: helper P2's loadtest/bench-funnel-raw.ts (the saved-funnel bench's own
 * self-join baseline) when it is there, so both benches time the same query; else ours.
 */
async function funnelRaw(siteId: string, start: Date, end: Date): Promise<Q> {
  const url = new URL('./bench-funnel-raw.ts', import.meta.url);
  if (existsSync(url)) {
    const mod = (await import(url.href)) as { rawFunnelSelfJoinSql?: (site: string, steps: FunnelBenchStep[], w: number, a: Date, b: Date) => Q };
    if (mod.rawFunnelSelfJoinSql) return mod.rawFunnelSelfJoinSql(siteId, BENCH_FUNNEL, WINDOW, start, end);
  }
  return rawFunnelSql(siteId, BENCH_FUNNEL, WINDOW, start, end);
}

export async function featureCases(pool: pg.Pool, siteId: string, today: string, tz: string, ranges: number[]): Promise<FeatureCase[]> {
  const cases: FeatureCase[] = [];
  const saved = (await pool.query<{ id: string }>({
    text: `SELECT id::text AS id FROM funnels WHERE site_id = $1::bigint ORDER BY id LIMIT 1`, values: [siteId],
  })).rows[0];
  // The demo's busiest heatmap page (most click points over the data set) on desktop.
  const page = (await pool.query<{ host: string; path: string }>({
    text: `SELECT host, path FROM heatmap_cell_days WHERE site_id = $1::bigint AND device = 'desktop' AND kind = 'click'
           GROUP BY host, path ORDER BY sum(points) DESC, host, path LIMIT 1`, values: [siteId],
  })).rows[0];
  const experiment = (await pool.query<{ key: string }>({
    text: `SELECT key FROM experiments WHERE site_id = $1::bigint ORDER BY key LIMIT 1`, values: [siteId],
  })).rows[0];
  for (const days of ranges) {
    const from = addDays(today, -(days - 1));
    const start = localDateToUtc(from, tz);
    const end = localDateToUtc(addDays(today, 1), tz);
    const range = `from=${from}&to=${today}&tz=${encodeURIComponent(tz)}`;
    cases.push({
      name: 'funnel ad-hoc (4 steps → order)', days, method: 'POST', path: '/reports/funnel',
      body: { steps: BENCH_FUNNEL, window_seconds: WINDOW, from, to: today, tz },
      raw: [await funnelRaw(siteId, start, end)],
    });
    if (saved) {
      cases.push({ name: 'saved funnel report', days, method: 'GET', path: `/funnels/${saved.id}/report?${range}`, raw: null });
    }
    cases.push({ name: 'errors list', days, method: 'GET', path: `/errors?${range}`, raw: [rawErrorsSql(siteId, start, end)] });
    if (page) {
      const url = encodeURIComponent(`https://${page.host}${page.path}`);
      cases.push({
        name: 'heatmap (busiest page)', days, method: 'GET', path: `/reports/heatmap?url=${url}&device=desktop&kind=click&${range}`,
        raw: rawHeatmapSql(siteId, page.host, page.path, 'desktop', 'click', start, end),
      });
    }
    cases.push({ name: 'vitals', days, method: 'GET', path: `/reports/vitals?${range}`, raw: rawVitalsSql(siteId, start, end) });
    const search = await optionalRaw('./bench-search-raw.ts', siteId, start, end, tz);
    if (search || existsSync(new URL('../src/reports/search/routes.ts', import.meta.url))) {
      cases.push({ name: 'search', days, method: 'GET', path: `/reports/search?${range}`, raw: search });
    }
    const discounts = await optionalRaw('./bench-discounts-raw.ts', siteId, start, end, tz);
    if (discounts || existsSync(new URL('../src/reports/discounts/routes.ts', import.meta.url))) {
      cases.push({ name: 'discounts', days, method: 'GET', path: `/reports/discounts?${range}&currency=USD`, raw: discounts });
    }
  }
  // Retention: 90 days of cohorts (13 weekly, 4 monthly), visitor and customer.
  const from = addDays(today, -89);
  for (const cohort of ['visitor', 'customer'] as const) {
    for (const period of ['week', 'month'] as const) {
      const q: RetentionQuery = { cohort, period, from, to: today, tz, currency: 'USD' };
      cases.push({
        name: `retention ${cohort} ${period}`, days: 90, method: 'GET',
        path: `/reports/retention?cohort=${cohort}&period=${period}&from=${from}&to=${today}&tz=${encodeURIComponent(tz)}&currency=USD`,
        raw: [rawRetentionSql(q, siteId)],
      });
    }
  }
  if (experiment) {
    const end = localDateToUtc(addDays(today, 1), tz);
    cases.push({
      name: 'experiment report (demo, orders)', days: 90, method: 'GET', path: `/experiments/${experiment.key}/report?to=${today}&tz=${encodeURIComponent(tz)}`,
      raw: [await rawExperimentSql(pool, siteId, experiment.key, end)],
    });
  }
  return cases;
}
