import type pg from 'pg';
import { writeBatch } from '../commerce/batch.ts';
import { saveExperiment } from '../experiments/store.ts';
import { createSite } from '../sites/sites.ts';
import { CopySink } from './sink.ts';
import { StoreSimulation, type SimulationStats } from './simulate.ts';
import { runErrorGroupRollup } from '../reports/errors/groups-rollup.ts';
import { resolveErrorGroupAsOf } from '../reports/errors/report.ts';
import { createFunnel } from '../reports/funnel/saved.ts';
import { EXPERIMENT, HOST, JS_ERRORS, PRODUCTS } from './world.ts';

export interface DemoOptions {
  days: number;
  visitors: number;
  seed: number;
  /** The simulated period ends here (exclusive, epoch ms); default: today 00:00 in the site's zone. */
  endMs?: number;
  conversionBoost?: number;
  targetRows?: number;
  targetOrders?: number;
}

export interface DemoResult {
  site: { id: string; publicKey: string; token: string };
  stats: SimulationStats;
  seconds: number;
  /** Of `seconds`, how long the simulation waited for PostgreSQL. */
  waitSeconds: number;
}

const DAY_MS = 86_400_000;
const SITE_TIMEZONE = 'America/New_York';

/** The last midnight (start of today) in `timeZone`, as epoch ms. */
export function lastMidnight(timeZone: string, now = Date.now()): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23' }).formatToParts(now);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return now - (get('hour') * 3600 + get('minute') * 60 + get('second')) * 1000 - (now % 1000);
}

/**
 * Creates the demo site, its catalogue, then simulates `visitors` shoppers over `days` days
 * ending yesterday, writing as it goes. Partitions for every month covered are made first.
 */
export async function runDemo(pool: pg.Pool, options: DemoOptions, progress: (line: string) => void = () => undefined): Promise<DemoResult> {
  const started = performance.now();
  // The simulated days are the site's local days, the last one being yesterday: a report of
  // "yesterday" in the site's zone shows a full day.
  const endMs = options.endMs ?? lastMidnight(SITE_TIMEZONE);
  const startMs = endMs - options.days * DAY_MS;
  const site = await createSite(pool, { name: 'Demo Store', domain: HOST, timezone: SITE_TIMEZONE, currency: 'USD' });
  await pool.query({
    text: 'SELECT tally_ensure_partitions($1::date, $2::date)',
    values: [new Date(startMs).toISOString().slice(0, 10), new Date(endMs).toISOString().slice(0, 10)],
  });
  const products = await writeBatch(pool, site.id, 'products', PRODUCTS.map((p) => ({ id: p.id, sku: p.sku, name: p.name, category: p.category, price: p.priceUsd, currency: 'USD' })));
  if (!products.ok) throw new Error(`demo catalogue rejected: ${JSON.stringify(products.errors)}`);

  // The experiment the simulation exposes shoppers to at checkout (50/50 by its own draw), defined
  // as finished over the simulated period so its report shows the whole run.
  await saveExperiment(pool, site.id, {
    key: EXPERIMENT.key, name: 'Checkout button', status: 'stopped',
    variants: EXPERIMENT.variants.map((key) => ({ key, weight: 0.5 })),
    metrics: [
      { key: 'orders', type: 'order', statistic: 'conversion' },
      { key: 'revenue', type: 'order', statistic: 'revenue' },
      { key: 'orders_per_user', type: 'order', statistic: 'orders' },
    ],
  }, { startedAt: new Date(startMs), stoppedAt: new Date(endMs) });
  // Two saved funnels (issue #15): the purchase path the simulation drops shoppers along, and search.
  const funnel = { window_seconds: 604_800, order: 'ordered', unit: 'visitor' } as const;
  await createFunnel(pool, site.id, { ...funnel, name: 'Purchase: home → product → add to cart → checkout → order', steps: [
    { type: 'pageview', path: '/', label: 'Home' }, { type: 'pageview', path: '/products/*', label: 'Product page' },
    { type: 'event', name: 'add_to_cart', label: 'Add to cart' }, { type: 'pageview', path: '/checkout', label: 'Checkout' }, { type: 'order', label: 'Paid order' },
  ] });
  await createFunnel(pool, site.id, { ...funnel, name: 'Search: search → product → order', steps: [
    { type: 'pageview', path: '/search', label: 'Search' }, { type: 'pageview', path: '/products/*', label: 'Product page' }, { type: 'order', label: 'Paid order' },
  ] });

  let lastReport = 0;
  const sink = new CopySink(pool, site.id, (rows) => {
    const now = performance.now();
    if (now - lastReport < 2_000) return;
    lastReport = now;
    const seconds = (now - started) / 1000;
    progress(`demo: ${rows.toLocaleString('en-US')} rows written (${Math.round(rows / seconds).toLocaleString('en-US')} rows/s)`);
  });
  const simulation = new StoreSimulation({ siteId: site.id, seed: options.seed, days: options.days, visitors: options.visitors, endMs,
    conversionBoost: options.conversionBoost, targetRows: options.targetRows, targetOrders: options.targetOrders }, sink);
  const stats = await simulation.run();
  await sink.finish();
  // The error list shows the recurring errors as groups; the cart one was "fixed" a third into
  // the period and came back: resolved then, reopened as regressed by its later occurrences.
  await runErrorGroupRollup(pool);
  const cart = JS_ERRORS.find((e) => e.path === '/cart')!;
  const group = await pool.query<{ id: string }>({
    text: 'SELECT id::text AS "id" FROM error_groups WHERE site_id = $1::bigint AND message = $2::text',
    values: [site.id, cart.message],
  });
  if (group.rows[0]) await resolveErrorGroupAsOf(pool, site.id, group.rows[0].id, new Date(startMs + (endMs - startMs) / 3));
  return { site, stats, seconds: (performance.now() - started) / 1000, waitSeconds: sink.waitMs / 1000 };
}

export function totalRows(stats: SimulationStats): number {
  return Object.values(stats.rows).reduce((a, b) => a + b, 0);
}
