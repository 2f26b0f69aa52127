import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIEW_NAMES } from '../../dashboards/src/state.ts';
import { formatVital } from '../../dashboards/src/views/vitals.ts';
import { runDemo, type DemoResult } from '../../src/demo/run.ts';
import { runJobsNow } from '../../src/jobs/run.ts';
import type { RunningServer } from '../../src/server.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startTestServer } from '../helpers/server.ts';
import { CHROMIUM_ARGS, chromiumPath } from './chromium.ts';
import { expectNoProblems, openView, waitForView } from './dashboard-harness.ts';

/**
 * Issue #20's "done when": after `tally demo` (a small one: 30 days, 1,500 visitors) and its jobs,
 * every view of the dashboard shows the demo store's data — no error, no empty main panel — and
 * its headline numbers are the API's for the same parameters.
 */
describe.skipIf(!chromiumPath)('the demo store in every dashboard view', () => {
  let db: TestDatabase;
  let tally: RunningServer;
  let browser: Browser;
  let demo: DemoResult;
  let page: Page;
  let close: () => Promise<void>;
  let problems: Parameters<typeof expectNoProblems>[0];
  const tz = 'America/New_York';
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: tz }).format(new Date());
  const from = new Intl.DateTimeFormat('en-CA', { timeZone: tz }).format(new Date(Date.now() - 29 * 86_400_000));
  const range = { from, to: today, tz };
  const hash = `period=custom&from=${from}&to=${today}&tz=${encodeURIComponent(tz)}`;

  const api = async <T>(path: string, query: Record<string, string> = {}): Promise<T> => {
    const res = await fetch(`${tally.url}/api/v1/sites/${demo.site.id}/${path}?${new URLSearchParams(query)}`, { headers: { authorization: `Bearer ${demo.site.token}` } });
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };
  const show = async (view: string, extra = '') => {
    await page.evaluate((h) => (location.hash = h), `#view=${view}&${hash}${extra}`);
    await waitForView(page, view);
    expect(await page.locator('#view [role=alert]').allInnerTexts(), view).toEqual([]);
  };
  const text = (selector: string) => page.locator(selector).first().innerText();
  const int = (n: number) => new Intl.NumberFormat('en-US').format(n);

  beforeAll(async () => {
    db = await createTestDatabase();
    demo = await runDemo(db.pool, { days: 30, visitors: 1500, seed: 7 });
    tally = await startTestServer(db.url);
    await runJobsNow({ pool: tally.deps.pool, config: tally.deps.config, logger: tally.deps.logger }, 'all');
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    const v = await openView(browser, tally.url, demo.site.token, `#view=overview&${hash}`);
    ({ page, close, problems } = v);
  }, 300_000);

  afterAll(async () => {
    await close?.();
    await browser?.close();
    await tally?.close();
    await db?.drop();
  });

  it('overview, revenue and products show the demo’s traffic, money and catalogue', async () => {
    const overview = await api<{ totals: { visitors: number } }>('reports/overview', range);
    expect(overview.totals.visitors).toBeGreaterThan(100);
    await show('overview');
    expect(await text('[data-metric=visitors] .value')).toBe(int(overview.totals.visitors));
    const revenue = await api<{ totals: { orders: number } }>('reports/revenue', range);
    expect(revenue.totals.orders).toBeGreaterThan(0);
    await show('revenue');
    expect(await text('[data-metric=orders] .value')).toBe(int(revenue.totals.orders));
    const products = await api<{ products: { name: string | null; product_id: string }[] }>('reports/products', { ...range, limit: '50' });
    await show('products');
    expect(await text('#products tbody th')).toBe(products.products[0]!.name ?? products.products[0]!.product_id);
  });

  it('funnels, retention and experiments show the demo’s saved funnel, cohorts and finished experiment', async () => {
    const { funnels } = await api<{ funnels: { id: string }[] }>('funnels');
    expect(funnels.length).toBeGreaterThan(0);
    const saved = await api<{ steps: { count: number }[] }>(`funnels/${funnels[0]!.id}/report`, range);
    await show('funnels');
    const counts = await page.locator('#funnel-steps tbody tr').evaluateAll((trs) => trs.map((tr) => tr.children[1]?.textContent ?? ''));
    expect(counts).toEqual(saved.steps.map((s) => int(s.count)));
    expect(saved.steps[0]!.count).toBeGreaterThan(0);
    const retention = await api<{ cohorts: { values: { count: number }[] }[] }>('reports/retention', { ...range, cohort: 'visitor', period: 'week' });
    await show('retention', '&cohort=visitor&grain=week');
    const cells = await page.locator('td.heat[data-rate] .count').allInnerTexts();
    expect(cells).toEqual(retention.cohorts.flatMap((c) => c.values.map((x) => int(x.count))));
    const report = await api<{ variants: { key: string; users: number }[] }>('experiments/checkout_button/report');
    await show('experiments', '&experiment=checkout_button');
    const users = await page.locator('[data-panel=experiment] tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.children[0]?.textContent ?? '', tr.children[1]?.textContent ?? '']));
    expect(users).toEqual(report.variants.map((x) => [x.key, int(x.users)]));
    expect(report.variants.every((x) => x.users > 0)).toBe(true);
  });

  it('heatmaps, errors, vitals, search, discounts and realtime show the demo’s clicks, issues, timings, queries and codes', async () => {
    const pages = await api<{ pages: { url: string }[] }>('reports/heatmap/pages', { ...range, limit: '200' });
    const heat = await api<{ total: number }>('reports/heatmap', { ...range, url: pages.pages[0]!.url });
    await show('heatmaps');
    expect(await text('[data-panel=heatmap] .help')).toContain(`${int(heat.total)} click points`);
    const errors = await api<{ errors: { message: string }[] }>('errors', range);
    expect(errors.errors.length).toBeGreaterThanOrEqual(3);
    await show('errors');
    expect(await page.locator('[data-error-id]').count()).toBe(errors.errors.length);
    const vitals = await api<{ metrics: { lcp: { p75: number | null } } }>('reports/vitals', range);
    await show('vitals');
    expect(await text('[data-metric=lcp] .value')).toBe(formatVital('lcp', vitals.metrics.lcp.p75));
    const search = await api<{ totals: { searches: number }; zero_result_queries: unknown[] }>('reports/search', range);
    expect(search.totals.searches).toBeGreaterThan(0);
    expect(search.zero_result_queries.length).toBeGreaterThan(0);
    await show('search');
    expect(await text('[data-metric=searches] .value')).toBe(int(search.totals.searches));
    const discounts = await api<{ codes: { code: string }[] }>('reports/discounts', range);
    await show('discounts');
    expect(await page.locator('#discount-codes tbody th').allInnerTexts()).toEqual(discounts.codes.map((c) => c.code));
    await show('realtime');
    // Every view was visited; none showed an error, none asked another origin, none logged one.
    expect(VIEW_NAMES.length).toBe(12);
    expectNoProblems(problems);
  });
});
