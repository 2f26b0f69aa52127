import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatVital, rating } from '../../dashboards/src/views/vitals.ts';
import type { RetentionReport } from '../../dashboards/src/views/retention.ts';
import type { VitalsReport } from '../../src/reports/vitals/report.ts';
import { ingestDirect } from '../../src/ingest/writer/direct.ts';
import { runJobsNow } from '../../src/jobs/run.ts';
import type { RunningServer } from '../../src/server.ts';
import { createSite } from '../../src/sites/sites.ts';
import { createToken } from '../../src/sites/tokens.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startTestServer } from '../helpers/server.ts';
import { CHROMIUM_ARGS, chromiumPath } from './chromium.ts';
import { expectNoProblems, expectXssInert, fragment, openView, rerender, screenshots, waitForView, XSS_PROBE } from './dashboard-harness.ts';

/**
 * The vitals and retention views in Chromium, on data sent through the real ingest: every number
 * the page shows is the API's for the same parameters (read from the API in the same test), the
 * view's own fragment parameters round-trip, strings from the data stay text, nothing logs a
 * console error, and screenshots at 390 / 1280 / 1920 px land in test-results/.
 */
const DAY = 86_400_000;
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe.skipIf(!chromiumPath)('report views in Chromium: vitals, retention, experiments, heatmaps, search, discounts', () => {
  let db: TestDatabase;
  let tally: RunningServer;
  let browser: Browser;
  let site: { id: string; token: string };
  let readToken: string;
  const today = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - 27 * DAY).toISOString().slice(0, 10);
  const range = `period=custom&from=${from}&to=${today}&tz=UTC`;

  const api = async <T>(path: string, query: Record<string, string>): Promise<T> => {
    const res = await fetch(`${tally.url}/api/v1/sites/${site.id}/${path}?${new URLSearchParams(query)}`, { headers: { authorization: `Bearer ${readToken}` } });
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    tally = await startTestServer(db.url);
    site = await createSite(db.pool, { name: 'Report views shop', domain: 'shop.example', timezone: 'UTC', currency: 'USD' });
    readToken = await createToken(db.pool, site.id, 'read', 'report views test');
    const now = Date.now();
    const events: Record<string, unknown>[] = [];
    // Retention: 12 visitors with a first pageview 3 weeks ago, half of them back each later week.
    for (let i = 0; i < 12; i++) {
      for (let w = 0; w <= 3; w++) {
        if (w > 0 && (i + w) % 2 === 1) continue;
        events.push({ type: 'pageview', vid: `r${i}`, ts: now - (21 - 7 * w) * DAY - i * 60_000, url: 'https://shop.example/' });
      }
    }
    // Vitals: three pages, one of them slow, one named like an XSS probe.
    const pages = [['/', 1200, 0.02], ['/products/slow', 5200, 0.31], [`/${XSS_PROBE}`, 2900, 0.12]] as const;
    pages.forEach(([path, lcp, cls], p) => {
      for (let i = 0; i < 8; i++) {
        events.push({
          type: 'vitals', vid: `v${p}-${i}`, ts: now - (i + 1) * 3_600_000, url: `https://shop.example${path}`,
          lcp: lcp + i * 150, inp: 80 + 60 * p + i * 10, cls: cls + i / 1000, fcp: lcp / 2 + i, ttfb: 300 + 400 * p + i,
        });
      }
    });
    // Heatmaps: clicks on two pages (a size picker rage-clicked on the product page), with scroll depths.
    for (let i = 0; i < 10; i++) {
      events.push({ type: 'heatmap', vid: `h${i}`, ts: now - (i + 2) * 3_600_000, url: 'https://shop.example/products/tee?color=blue', vw: 1280, dh: 2400, scroll: 10 * (i + 1),
        points: [{ x: 300 + i, y: 500, kind: 'click', sel: 'button.add-to-cart' }, { x: 640, y: 900 + 40 * i, kind: 'click', sel: `a#${XSS_PROBE}` },
          ...(i < 4 ? [{ x: 410, y: 610, kind: 'rage', sel: 'select.size' }] : [])] });
    }
    events.push({ type: 'heatmap', vid: 'h0', ts: now - 3_600_000, url: 'https://shop.example/', vw: 1280, dh: 1800, scroll: 50, points: [{ x: 20, y: 20, kind: 'click', sel: 'a.logo' }] });
    // Site search: "Red Shoes" in two spellings (one query), a query that finds nothing, a click.
    for (const [i, q, results] of [[0, 'Red Shoes', 12], [1, '  red   shoes!', 9], [2, 'RED SHOES', 4], [3, 'gift card', 0], [4, 'gift card', 0], [5, XSS_PROBE, 3]] as const) {
      events.push({ type: 'event', name: 'search', vid: `s${i}`, sid: `ss${i}`, ts: now - 5 * 3_600_000 + i * 60_000, url: 'https://shop.example/search', props: { q, results } });
    }
    events.push({ type: 'event', name: 'search_click', vid: 's0', sid: 'ss0', ts: now - 5 * 3_600_000 + 30_000, url: 'https://shop.example/search', props: { q: 'red shoes', position: 2 } });
    // An experiment whose users are far from its 50/50 weights (30 against 5): the SRM banner shows.
    const post = (path: string, body: unknown, method = 'POST') => fetch(`${tally.url}/api/v1/sites/${site.id}/${path}`, {
      method, headers: { authorization: `Bearer ${site.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    expect((await post('experiments', {
      key: 'checkout', name: `Checkout ${XSS_PROBE}`, status: 'running',
      variants: [{ key: 'control', weight: 0.5 }, { key: 'treatment', weight: 0.5 }],
      metrics: [{ key: 'orders', type: 'order' }, { key: 'signup', type: 'event', name: 'signup' }],
    })).status).toBe(201);
    for (let i = 0; i < 35; i++) {
      const variant = i < 30 ? 'control' : 'treatment';
      events.push({ type: 'event', name: '$exposure', vid: `x${i}`, ts: now - 3 * DAY + i * 60_000, url: 'https://shop.example/cart', props: { experiment: 'checkout', variant } });
      if (i % 3 === 0) events.push({ type: 'event', name: 'signup', vid: `x${i}`, ts: now - 2 * DAY + i * 60_000, url: 'https://shop.example/cart' });
    }
    const orders = [0, 4, 8, 31, 33].map((i) => ({
      id: `xo${i}`, visitor_id: `x${i}`, status: 'paid', currency: 'USD', subtotal: 1_999 + i, discount: 0, tax: 0, shipping: 0, total: 1_999 + i,
      created_at: new Date(now - DAY).toISOString(), items: [{ product_id: 'p1', name: 'Mug', quantity: 1, unit_price: 1_999 + i }],
    }));
    expect((await post('orders', orders)).status).toBe(200);
    // Discount codes: one order with two codes, one with a lower-case code, one without.
    const coded = [['d1', ['welcome10', 'FREESHIP']], ['d2', ['WELCOME10']], ['d3', []], ['d4', [XSS_PROBE.slice(0, 20)]]] as const;
    expect((await post('orders', coded.map(([id, codes], i) => ({
      id, customer_id: `c-${id}`, visitor_id: 's0', status: 'paid', currency: 'USD', subtotal: 5_000 + i, discount: 500, tax: 0, shipping: 0, total: 4_500 + i,
      created_at: new Date(now - 4 * 3_600_000).toISOString(), discount_codes: codes, items: [{ product_id: 'p1', name: 'Mug', quantity: 1, unit_price: 5_000 + i }],
    })))).status).toBe(200);
    const result = await ingestDirect(db.pool, { siteId: site.id, events: events.map((e) => ({ ip: '8.8.8.8', ua: UA, ...e })) });
    expect(result.rejected).toEqual([]);
    await runJobsNow({ pool: tally.deps.pool, config: tally.deps.config, logger: tally.deps.logger }, 'all');
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await tally?.close();
    await db?.drop();
  });

  it('vitals: p75 cards, the rating table and the slowest pages equal the API, coloured by rating', async () => {
    const want = await api<VitalsReport>('reports/vitals', { from, to: today, tz: 'UTC' });
    const v = await openView(browser, tally.url, readToken, `#view=vitals&${range}`);
    const { page } = v;
    for (const m of ['lcp', 'inp', 'cls', 'fcp', 'ttfb'] as const) {
      const card = page.locator(`[data-panel=vitals] [data-metric=${m}]`);
      expect(await card.locator('.value').innerText(), m).toBe(formatVital(m, want.metrics[m].p75));
      expect(await card.getAttribute('class'), m).toContain(`rating-${rating(m, want.metrics[m].p75)}`);
    }
    // The chart's table (inside a closed <details>: read the cells' text).
    const rows = await page.locator('[data-panel=vitals] details table tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [...tr.children].map((c) => c.textContent ?? '')));
    expect(rows).toHaveLength(5);
    const pct = (n: number) => new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 }).format(n);
    expect(rows[0]!.slice(3, 6)).toEqual([pct(want.metrics.lcp.good), pct(want.metrics.lcp.needs_improvement), pct(want.metrics.lcp.poor)]);
    const pageRows = await page.locator('[data-panel=vitals-pages] tbody th').allInnerTexts();
    expect(pageRows).toEqual(want.pages.map((p) => p.path));
    expect(pageRows[0]).toBe('/products/slow');
    // The probe's page is stored percent-encoded (the URL's path as sent); it shows as stored and runs nothing.
    expect(pageRows.some((p) => p.includes('%3Cimg'))).toBe(true);
    await expectXssInert(page, v.problems, XSS_PROBE, false);
    const shots = await screenshots(page, 'vitals');
    expect(shots.overflowing).toEqual([]);
    // A page link filters the view by path; the device selector is a fragment parameter.
    await rerender(page, 'vitals', () => page.locator('[data-panel=vitals-pages] tbody th a', { hasText: '/products/slow' }).click());
    expect((await fragment(page)).get('path')).toBe('/products/slow');
    const slow = await api<VitalsReport>('reports/vitals', { from, to: today, tz: 'UTC', path: '/products/slow' });
    expect(await page.locator('[data-metric=lcp] .value').innerText()).toBe(formatVital('lcp', slow.metrics.lcp.p75));
    await rerender(page, 'vitals', () => page.selectOption('#vitals-device', 'mobile'));
    expect((await fragment(page)).get('device')).toBe('mobile');
    expect(await page.locator('[data-panel=vitals] .state.empty').innerText()).toBe('No data in this range');
    expectNoProblems(v.problems);
    await v.close();
  });

  it('retention: the heat table holds the API’s counts and rates; customer cohorts add the LTV panel', async () => {
    const want = await api<RetentionReport>('reports/retention', { from, to: today, tz: 'UTC', cohort: 'visitor', period: 'week' });
    expect(want.cohorts.length).toBeGreaterThan(0);
    const v = await openView(browser, tally.url, readToken, `#view=retention&${range}&cohort=visitor&grain=week`);
    const { page } = v;
    const cells = await page.locator('[data-panel=retention] td.heat[data-rate]').evaluateAll((tds) =>
      tds.map((td) => [Number((td as HTMLElement).dataset.rate), (td.querySelector('.count') as HTMLElement).innerText]));
    expect(cells).toEqual(want.cohorts.flatMap((c) => c.values.map((x) => [x.rate, String(x.count)])));
    const cohorts = await page.locator('[data-panel=retention] tbody th').allInnerTexts();
    expect(cohorts).toEqual(want.cohorts.map((c) => c.cohort));
    await page.reload();
    await waitForView(page, 'retention');
    expect(Object.fromEntries(await fragment(page))).toMatchObject({ view: 'retention', cohort: 'visitor', grain: 'week' });
    await screenshots(page, 'retention');
    await rerender(page, 'retention', () => page.selectOption('#retention-cohort', 'customer'));
    expect((await fragment(page)).get('cohort')).toBe('customer');
    expect(await page.locator('[data-panel=ltv]').count()).toBe(1);
    expectNoProblems(v.problems);
    await v.close();
  });

  it('experiments: the list, one experiment’s variants as the API reports them, the SRM banner, engines and metrics', async () => {
    const v = await openView(browser, tally.url, readToken, `#view=experiments&${range}`);
    const { page } = v;
    expect(await page.locator('[data-panel=experiments] tbody th').allInnerTexts()).toEqual([`Checkout ${XSS_PROBE} (checkout)`]);
    await expectXssInert(page, v.problems);
    for (const [engine, metric] of [['bayesian', 'orders'], ['frequentist', 'signup'], ['sequential', 'orders']] as const) {
      if (engine !== 'bayesian') {
        await rerender(page, 'experiments', () => page.selectOption('#experiment-engine', engine));
        await rerender(page, 'experiments', () => page.selectOption('#experiment-metric', metric));
      }
      expect(Object.fromEntries(await fragment(page)), engine).toMatchObject(engine === 'bayesian' ? {} : { engine, metric });
      const want = await api<{ srm_warning: boolean; currency: string; variants: { key: string; users: number; conversions: number; conversion_rate: number | null; lift: number | null; chance_to_win: number | null; p_value: number | null }[] }>(
        'experiments/checkout/report', { engine, metric });
      expect(want.srm_warning).toBe(true);
      expect(await page.locator('[data-srm=warning]').count(), engine).toBe(1);
      const rows = await page.locator('[data-panel=experiment] tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent ?? '')));
      const pct = (n: number | null) => (n === null ? '–' : new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 }).format(n));
      const signed = (n: number | null) => (n === null ? '–' : new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1, signDisplay: 'exceptZero' }).format(n));
      expect(rows.map((r) => r.slice(0, 4)), engine).toEqual(want.variants.map((x) => [x.key, String(x.users), String(x.conversions), pct(x.conversion_rate)]));
      expect(rows.map((r) => r[5]), engine).toEqual(want.variants.map((x) => signed(x.lift)));
      expect(rows.map((r) => r[7]), engine).toEqual(want.variants.map((x) => (engine === 'bayesian' ? pct(x.chance_to_win) : x.p_value === null ? '–' : x.p_value.toPrecision(3))));
    }
    expect(await page.locator('[data-panel=lift] canvas').count()).toBe(1);
    await page.reload();
    await waitForView(page, 'experiments');
    expect(Object.fromEntries(await fragment(page))).toMatchObject({ view: 'experiments', engine: 'sequential', metric: 'orders' });
    const shots = await screenshots(page, 'experiments');
    expect(shots.overflowing).toEqual([]);
    expectNoProblems(v.problems);
    await v.close();
  });

  it('heatmaps: the page picker, the density canvas over an outline, cells, scroll depth and selectors equal the API', async () => {
    const pages = await api<{ pages: { url: string; clicks: number }[] }>('reports/heatmap/pages', { from, to: today, tz: 'UTC', limit: '200' });
    expect(pages.pages[0]!.url).toBe('https://shop.example/products/tee');
    const v = await openView(browser, tally.url, readToken, `#view=heatmaps&${range}`);
    const { page } = v;
    const options = await page.locator('#heatmap-url option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(options).toEqual(pages.pages.map((p) => p.url));
    const want = await api<{ total: number; points: { x: number; y: number; count: number }[]; scroll: { depth: number; visitors: number }[]; selectors: { selector: string; count: number }[] }>(
      'reports/heatmap', { from, to: today, tz: 'UTC', url: pages.pages[0]!.url, device: 'desktop', kind: 'click', selector: '1' });
    const cells = await page.locator('[data-panel=heatmap] details table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].slice(0, 2).map((c) => c.textContent ?? '')));
    const sorted = [...want.points].sort((a, b) => b.count - a.count || a.y - b.y || a.x - b.x);
    expect(cells).toEqual(sorted.map((p) => [`${p.x}, ${p.y}`, String(p.count)]));
    const painted = await page.locator('.heat-canvas').evaluate((c) => {
      const canvas = c as HTMLCanvasElement;
      const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
      return n;
    });
    expect(painted).toBeGreaterThan(100);
    expect(await page.locator('.page-outline').count()).toBe(1); // no live page unless asked for
    const scroll = await page.locator('[data-panel=scroll] tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].slice(0, 2).map((c) => c.textContent ?? '')));
    expect(scroll).toEqual(want.scroll.map((x) => [`${x.depth}%`, String(x.visitors)]));
    expect(await page.locator('[data-panel=selectors] tbody th').allInnerTexts()).toEqual(want.selectors.map((x) => x.selector));
    await expectXssInert(page, v.problems, `a#${XSS_PROBE}`);
    const shots = await screenshots(page, 'heatmaps');
    expect(shots.overflowing).toEqual([]);
    // Rage clicks of the size picker, by the kind selector; the choice round-trips through a reload.
    await rerender(page, 'heatmaps', () => page.selectOption('#heatmap-kind', 'rage'));
    await page.reload();
    await waitForView(page, 'heatmaps');
    expect(Object.fromEntries(await fragment(page))).toMatchObject({ view: 'heatmaps', kind: 'rage' });
    expect(await page.locator('[data-panel=selectors] tbody th').allInnerTexts()).toEqual(['select.size']);
    expectNoProblems(v.problems);
    await v.close();
  });

  const cellsOf = (page: import('playwright-core').Page, selector: string) =>
    page.locator(selector).evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent ?? '')));
  const money = (n: number) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(n / 100);

  it('search: totals, every query and the zero-result queries equal the API; one query whatever its case and spacing', async () => {
    const want = await api<{ totals: Record<string, number>; queries: { query: string; searches: number; zero_results: number; clicks: number; orders: number; revenue: number }[]; zero_result_queries: { query: string; searches: number }[] }>(
      'reports/search', { from, to: today, tz: 'UTC' });
    expect(want.queries[0]).toMatchObject({ query: 'red shoes', searches: 3, clicks: 1 });
    const v = await openView(browser, tally.url, readToken, `#view=search&${range}`);
    const { page } = v;
    expect(await page.locator('[data-metric=searches] .value').innerText()).toBe(String(want.totals.searches));
    const rows = await cellsOf(page, '#search-queries tbody tr');
    expect(rows.map((r) => [r[0], r[1], r[3], r[4], r[6], r[7]])).toEqual(want.queries.map((q) => [q.query, String(q.searches), String(q.zero_results), String(q.clicks), String(q.orders), money(q.revenue)]));
    expect((await cellsOf(page, '[data-panel=zero-results] tbody tr')).map((r) => [r[0], r[1]])).toEqual(want.zero_result_queries.map((q) => [q.query, String(q.searches)]));
    await expectXssInert(page, v.problems, XSS_PROBE.toLowerCase().replace(/^<|>$/g, '') , true);
    await screenshots(page, 'search');
    expectNoProblems(v.problems);
    await v.close();
  });

  it('discounts: each code with orders, gross, refunds, net and new customers as the API counts them', async () => {
    const want = await api<{ codes: { code: string; orders: number; gross: number; net: number; new_customers: number }[]; without_code: { orders: number } }>(
      'reports/discounts', { from, to: today, tz: 'UTC' });
    expect(want.codes.find((c) => c.code === 'WELCOME10')?.orders).toBe(2);
    const v = await openView(browser, tally.url, readToken, `#view=discounts&${range}`);
    const { page } = v;
    const rows = await cellsOf(page, '#discount-codes tbody tr');
    expect(rows.map((r) => [r[0], r[1], r[2], r[5], r[8]])).toEqual(want.codes.map((c) => [c.code, String(c.orders), money(c.gross), money(c.net), String(c.new_customers)]));
    expect(await page.locator('[data-metric=without_code_orders] .value').innerText()).toBe(String(want.without_code.orders));
    await expectXssInert(page, v.problems, XSS_PROBE.slice(0, 20).toUpperCase());
    const shots = await screenshots(page, 'discounts');
    expect(shots.overflowing).toEqual([]);
    expectNoProblems(v.problems);
    await v.close();
  });
});
