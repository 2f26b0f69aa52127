import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestDirect } from '../../src/ingest/writer/direct.ts';
import { runJobsNow } from '../../src/jobs/run.ts';
import type { RunningServer } from '../../src/server.ts';
import { createSite } from '../../src/sites/sites.ts';
import { createToken } from '../../src/sites/tokens.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startTestServer } from '../helpers/server.ts';
import { CHROMIUM_ARGS, chromiumPath, DESKTOP_UA } from './chromium.ts';

/**
 * The dashboard end to end: a real Tally on a real PostgreSQL with pageviews and orders rolled
 * up by the real jobs; headless Chromium signs in with a read token and the numbers on the page
 * must equal the API's for the view the page shows (dates read back from its URL fragment).
 */
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';
const HOUR = 3_600_000;
/** expect.poll's own default (1 s) is shorter than a sign-in on a loaded two-core machine. */
const SLOW = { timeout: 15_000 };

describe.skipIf(!chromiumPath)('dashboard in Chromium', () => {
  let db: TestDatabase;
  let tally: RunningServer;
  let browser: Browser;
  let site: { id: string; token: string };
  let readToken: string;

  async function api<T>(path: string, token = readToken): Promise<T> {
    const res = await fetch(`${tally.url}/api/v1/sites/${site.id}/${path}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  }

  async function post(path: string, body: unknown): Promise<void> {
    const res = await fetch(`${tally.url}/api/v1/sites/${site.id}/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${site.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    tally = await startTestServer(db.url);
    site = await createSite(db.pool, { name: 'Dash shop', domain: 'shop.example', timezone: 'Europe/Paris', currency: 'EUR' });
    readToken = await createToken(db.pool, site.id, 'read', 'dashboard test');

    const now = Date.now();
    const views = [
      { vid: 'v1', ts: now - 26 * HOUR, url: 'https://shop.example/', ref: 'https://www.google.com/', ua: CHROME },
      { vid: 'v1', ts: now - 26 * HOUR + 60_000, url: 'https://shop.example/products/p1', ua: CHROME },
      { vid: 'v2', ts: now - 3 * HOUR, url: 'https://shop.example/?utm_source=newsletter&utm_medium=email', ua: IPHONE },
      { vid: 'v2', ts: now - 3 * HOUR + 90_000, url: 'https://shop.example/products/p2', ua: IPHONE },
      { vid: 'v3', ts: now - 5 * 24 * HOUR, url: 'https://shop.example/products/p1', ref: 'https://news.ycombinator.com/', ua: CHROME },
      { vid: 'v4', ts: now - 60_000, url: 'https://shop.example/products/p2', ua: CHROME }, // realtime
    ].map((v) => ({ type: 'pageview', ip: '8.8.8.8', ...v }));
    expect((await ingestDirect(db.pool, { siteId: site.id, events: views })).accepted).toBe(views.length);

    const item = (product_id: string, name: string, quantity: number, unit_price: number) => ({ product_id, name, quantity, unit_price });
    const order = (id: string, visitor_id: string, hoursAgo: number, items: ReturnType<typeof item>[]) => {
      const subtotal = items.reduce((s, i) => s + i.quantity * i.unit_price, 0);
      return {
        id, visitor_id, customer_id: `c-${visitor_id}`, status: 'paid', currency: 'EUR', subtotal, shipping: 490, total: subtotal + 490,
        created_at: new Date(now - hoursAgo * HOUR).toISOString(), items,
      };
    };
    await post('orders', [
      order('o1', 'v1', 25, [item('p1', 'Linen shirt', 2, 4_950)]),
      order('o2', 'v2', 2, [item('p2', 'Wool scarf', 1, 12_345), item('p1', 'Linen shirt', 1, 4_950)]),
      { ...order('o3', 'v3', 4, [item('p2', 'Wool scarf', 1, 12_345)]), status: 'pending' }, // not counted
    ]);
    await post('refunds', { id: 'r1', order_id: 'o1', amount: 1_999, currency: 'EUR', created_at: new Date(now - HOUR).toISOString() });
    await runJobsNow({ pool: tally.deps.pool, config: tally.deps.config, logger: tally.deps.logger }, 'all');

    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await tally?.close();
    await db?.drop();
  });

  async function openDashboard(hash = ''): Promise<{ page: Page; errors: string[]; close: () => Promise<void> }> {
    const context = await browser.newContext({ userAgent: DESKTOP_UA, locale: 'en-US', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && !/status of 40\d/.test(m.text()) && errors.push(m.text()));
    await page.goto(`${tally.url}/dashboard${hash}`);
    return { page, errors, close: () => context.close() };
  }

  async function signIn(page: Page, token: string): Promise<void> {
    await page.getByLabel('API token with read scope').fill(token);
    await page.getByRole('button', { name: 'Open dashboard' }).click();
  }

  const text = (page: Page, selector: string) => page.locator(selector).first().innerText();
  const money = (minor: number) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'EUR' }).format(minor / 100);

  it('shows the API numbers for the view in the URL: traffic, revenue, products, realtime; a chart is drawn', async () => {
    const { page, errors, close } = await openDashboard();
    await signIn(page, readToken);
    await page.locator('[data-metric=visitors] .value').waitFor();
    await page.locator('#view[data-view=overview][data-status=ready]').waitFor({ state: 'attached' });

    const hash = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1));
    expect(hash.get('view')).toBe('overview');
    expect(hash.get('period')).toBe('30d');
    expect(hash.toString()).not.toContain('tly_'); // the view is shareable, the token is not in it
    const q = `from=${hash.get('from')}&to=${hash.get('to')}`;
    const overview = await api<{ range: { tz: string }; totals: Record<string, number>; top: { pages: { key: string }[] } }>(`reports/overview?${q}&compare=previous&limit=10`);
    const revenue = await api<{ currency: string; totals: Record<string, number> }>(`reports/revenue?${q}&compare=previous`);
    expect(overview.range.tz).toBe('Europe/Paris');
    expect(overview.totals.visitors).toBe(4);
    expect(revenue.totals.orders).toBe(2);

    expect(await text(page, '[data-metric=visitors] .value')).toBe(String(overview.totals.visitors));
    expect(await text(page, '[data-metric=visits] .value')).toBe(String(overview.totals.visits));
    expect(await text(page, '[data-metric=pageviews] .value')).toBe(String(overview.totals.pageviews));
    expect(await text(page, '#traffic-range')).toContain('Europe/Paris');
    // Top lists as the API ranks them.
    const pages = await page.locator('[data-list=pages] tbody th').allInnerTexts();
    expect(pages).toEqual(overview.top.pages.map((p) => p.key));
    expect(await page.locator('[data-list=countries] tbody th').first().innerText()).toBe('United States (US)');
    // Realtime: the visitor of a minute ago.
    await page.locator('#realtime:not([hidden])').waitFor();
    expect(await text(page, '#realtime-count')).toBe('1');

    type ChartWindow = { Chart: { getChart(id: string): { data: { datasets: { data: number[] }[] } } | undefined } };
    // chart.js (served by Tally) drew the traffic chart with the series' values.
    const drawn = await page.evaluate(() => {
      const traffic = (window as unknown as ChartWindow).Chart.getChart('traffic-chart');
      const canvas = document.getElementById('traffic-chart') as HTMLCanvasElement;
      return { width: canvas.width, pageviews: traffic?.data.datasets[1]?.data.reduce((a, b) => a + b, 0) };
    });
    expect(drawn.width).toBeGreaterThan(300);
    expect(drawn.pageviews).toBe(overview.totals.pageviews);

    // Revenue is a view of its own (same dates: the navigation keeps the shared controls).
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Revenue', exact: true }).click();
    await page.locator('#view[data-view=revenue][data-status=ready]').waitFor({ state: 'attached' });
    expect(await text(page, '[data-metric=gross] .value')).toBe(money(revenue.totals.gross!));
    expect(await text(page, '[data-metric=net] .value')).toBe(money(revenue.totals.net!));
    expect(await text(page, '[data-metric=refunds] .value')).toBe(money(1_999));
    expect(await text(page, '[data-metric=aov] .value')).toBe(money(revenue.totals.aov!));
    expect(await page.evaluate(() => !!(window as unknown as ChartWindow).Chart.getChart('revenue-chart'))).toBe(true);

    // Products too.
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Products', exact: true }).click();
    await page.locator('#products tbody tr').first().waitFor();
    const products = await api<{ products: { name: string; revenue: number }[] }>(`reports/products?${q}&limit=10`);
    expect(products.products.map((p) => p.name)).toEqual(['Linen shirt', 'Wool scarf']); // 3 × 49.50 > 123.45
    expect(await page.locator('#products tbody th').allInnerTexts()).toEqual(['Linen shirt', 'Wool scarf']);
    expect(await page.locator('#products tbody tr').first().locator('td').nth(4).innerText()).toBe(money(products.products[0]!.revenue));
    const after = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1));
    expect([after.get('view'), after.get('from'), after.get('to')]).toEqual(['products', hash.get('from'), hash.get('to')]);

    const shot = join(tmpdir(), `tally-dashboard-${process.pid}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`dashboard screenshot: ${shot}`);
    expect(errors).toEqual([]);
    await close();
  });

  it('changes the view from the controls into the URL, and a shared link opens that view after sign-in', async () => {
    const { page, close } = await openDashboard('#period=custom&from=2020-01-01&to=2020-01-31&interval=week&tz=UTC&compare=off');
    await signIn(page, readToken);
    await expect.poll(() => text(page, '#traffic-range'), SLOW).toBe('2020-01-01 – 2020-01-31 (UTC)');
    expect(await text(page, '[data-metric=visitors] .value')).toBe('0');
    expect(await page.locator('[data-metric=visitors] .change').count()).toBe(0); // compare=off
    expect(await page.locator('#interval').inputValue()).toBe('week');

    await page.locator('#period').selectOption('7d');
    await expect.poll(() => page.evaluate(() => location.hash), SLOW).toContain('period=7d');
    const hash = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1));
    const overview = await api<{ totals: { visitors: number } }>(`reports/overview?from=${hash.get('from')}&to=${hash.get('to')}&tz=UTC&interval=week`);
    await expect.poll(() => text(page, '[data-metric=visitors] .value'), SLOW).toBe(String(overview.totals.visitors));

    // A range the API refuses: its 400 message is shown, the session stays.
    await page.evaluate(() => (location.hash = '#period=custom&from=2000-01-01&to=2026-01-01'));
    await expect.poll(() => text(page, '[data-panel=traffic] [role=alert]'), SLOW).toContain('the range may span at most'); // in place
    expect(await page.locator('#dashboard').isVisible()).toBe(true);
    await close();
  });

  it('refuses a bad token on the sign-in form, and signs out when the token is revoked', async () => {
    const { page, close } = await openDashboard();
    await signIn(page, 'not-a-token');
    await expect.poll(() => text(page, '#sign-in-error'), SLOW).toContain('not a Tally API token');
    await signIn(page, `tly_${site.id}_${'A'.repeat(43)}`);
    await expect.poll(() => text(page, '#sign-in-error'), SLOW).toBe('Sign-in failed: invalid or revoked token');
    expect(await page.locator('#dashboard').isHidden()).toBe(true);

    const doomed = await createToken(db.pool, site.id, 'read', 'revoked below');
    await signIn(page, doomed);
    await page.locator('[data-metric=visitors] .value').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(1);
    await db.pool.query('UPDATE api_tokens SET revoked_at = now() WHERE site_id = $1::bigint AND name = $2::text', [site.id, 'revoked below']);
    await page.locator('#period').selectOption('90d');
    await expect.poll(() => text(page, '#sign-in-error'), SLOW).toBe('Signed out: invalid or revoked token');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await close();
  });
});
