import { readFile } from 'node:fs/promises';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIEW_NAMES } from '../../dashboards/src/state.ts';
import { ingestDirect } from '../../src/ingest/writer/direct.ts';
import { runJobsNow } from '../../src/jobs/run.ts';
import type { RunningServer } from '../../src/server.ts';
import { createSite } from '../../src/sites/sites.ts';
import { createToken } from '../../src/sites/tokens.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startTestServer } from '../helpers/server.ts';
import { CHROMIUM_ARGS, chromiumPath } from './chromium.ts';
import {
  expectNoProblems, expectXssInert, fragment, goToView, openView, screenshots, waitForView, XSS_PROBE,
} from './dashboard-harness.ts';

/**
 * The views framework in Chromium: every view of contract §9 (stubs included) opens from its
 * fragment and shows it again after a reload, the navigation works from the keyboard and keeps
 * each view's own parameters, nothing logs a console error or asks another origin, strings from
 * the data stay text, and screenshots at 390 / 1280 / 1920 px land in test-results/.
 */
const HOUR = 3_600_000;
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe.skipIf(!chromiumPath)('dashboard views in Chromium', () => {
  let db: TestDatabase;
  let tally: RunningServer;
  let browser: Browser;
  let site: { id: string; token: string };
  let readToken: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    tally = await startTestServer(db.url);
    site = await createSite(db.pool, { name: 'Views shop', domain: 'shop.example', timezone: 'America/New_York', currency: 'USD' });
    readToken = await createToken(db.pool, site.id, 'read', 'views test');
    const now = Date.now();
    const probe = encodeURIComponent(XSS_PROBE);
    const views = [
      { vid: 'a', ts: now - 30 * HOUR, url: `https://shop.example/?utm_source=${probe}&utm_medium=email` },
      { vid: 'a', ts: now - 30 * HOUR + 60_000, url: 'https://shop.example/products/p1' },
      { vid: 'b', ts: now - 2 * HOUR, url: 'https://shop.example/products/p2', ref: 'https://www.google.com/' },
      { vid: 'c', ts: now - 120_000, url: 'https://shop.example/' },
    ].map((v) => ({ type: 'pageview', ip: '8.8.8.8', ua: UA, ...v }));
    expect((await ingestDirect(db.pool, { siteId: site.id, events: views })).accepted).toBe(views.length);
    const res = await fetch(`${tally.url}/api/v1/sites/${site.id}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${site.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'o1', visitor_id: 'b', customer_id: 'cb', status: 'paid', currency: 'USD', subtotal: 2_500, discount: 0, tax: 0, shipping: 0, total: 2_500,
        created_at: new Date(now - HOUR).toISOString(), items: [{ product_id: 'p2', name: 'Canvas tote', quantity: 1, unit_price: 2_500 }],
      }),
    });
    expect(res.status).toBe(200);
    await runJobsNow({ pool: tally.deps.pool, config: tally.deps.config, logger: tally.deps.logger }, 'all');
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await tally?.close();
    await db?.drop();
  });

  it('opens every view from its fragment, shows the same view after a reload, with no console error or failed request', async () => {
    const v = await openView(browser, tally.url, readToken, '#view=overview');
    for (const view of VIEW_NAMES) {
      const hash = `#view=${view}&period=custom&from=2026-01-01&to=2026-01-31&tz=Asia%2FTokyo&currency=EUR&grain=week&x=1`;
      await v.page.evaluate((h) => (location.hash = h), hash);
      await waitForView(v.page, view);
      const shown = await fragment(v.page);
      await v.page.reload();
      await waitForView(v.page, view);
      expect((await fragment(v.page)).toString(), view).toBe(shown.toString());
      expect(Object.fromEntries(shown), view).toMatchObject({ view, period: 'custom', from: '2026-01-01', to: '2026-01-31', tz: 'Asia/Tokyo', currency: 'EUR', grain: 'week', x: '1' });
      expect(await v.page.locator('nav[aria-label=Views] a[aria-current=page]').getAttribute('data-view')).toBe(view);
      expect(await v.page.locator('#view h2').count(), view).toBeGreaterThan(0);
      expect(await v.page.title()).toContain('Tally');
    }
    expectNoProblems(v.problems);
    await v.close();
  });

  it('an unknown view is the overview, written back into the fragment', async () => {
    const v = await openView(browser, tally.url, readToken, '#view=nonsense&period=7d');
    await waitForView(v.page, 'overview');
    expect((await fragment(v.page)).get('view')).toBe('overview');
    expect((await fragment(v.page)).get('period')).toBe('7d');
    expectNoProblems(v.problems);
    await v.close();
  });

  it('the navigation works from the keyboard and keeps the shared controls and each view’s own parameters', async () => {
    const v = await openView(browser, tally.url, readToken, '#view=funnels&period=7d&funnel=42');
    const { page } = v;
    // Tab from the top of the page to the first link of the navigation.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    let onNav = false;
    for (let i = 0; i < 20 && !onNav; i++) {
      await page.keyboard.press('Tab');
      onNav = await page.evaluate(() => document.activeElement?.closest('nav[aria-label=Views]') !== null && document.activeElement?.tagName === 'A');
    }
    expect(onNav).toBe(true);
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.view)).toBe('overview');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.view)).toBe('revenue');
    await page.keyboard.press('Enter');
    await waitForView(page, 'revenue');
    expect(await page.locator('nav[aria-label=Views] a[aria-current=page]').innerText()).toBe('Revenue');
    expect(Object.fromEntries(await fragment(page))).toMatchObject({ view: 'revenue', period: '7d' });
    expect((await fragment(page)).has('funnel')).toBe(false); // another view's parameter stays with it…
    await goToView(page, 'Funnels', 'funnels');
    expect((await fragment(page)).get('funnel')).toBe('42'); // …and comes back with it
    expectNoProblems(v.problems);
    await v.close();
  });

  it('strings from the data are text: the XSS probe as a UTM source shows as its characters and runs nothing', async () => {
    const v = await openView(browser, tally.url, readToken, '#view=overview&period=7d');
    await v.page.locator('[data-list=utm_sources] tbody th').first().waitFor();
    expect(await v.page.locator('[data-list=utm_sources] tbody th').first().innerText()).toBe(XSS_PROBE);
    await expectXssInert(v.page, v.problems);
    expectNoProblems(v.problems);
    await v.close();
  });

  it('downloads a table export from the overview: the same CSV as the API for the shown dates', async () => {
    const v = await openView(browser, tally.url, readToken, '#view=overview&period=7d&tz=UTC');
    const hash = await fragment(v.page);
    const [download] = await Promise.all([v.page.waitForEvent('download'), v.page.locator('[data-table=pageviews]').click()]);
    const path = await download.path();
    const csv = await readFile(path, 'utf8');
    const res = await fetch(`${tally.url}/api/v1/sites/${site.id}/export/pageviews.csv?from=${hash.get('from')}&to=${hash.get('to')}&tz=UTC`, { headers: { authorization: `Bearer ${readToken}` } });
    expect(csv).toBe(await res.text());
    expect(csv.trim().split('\n').length).toBeGreaterThan(1);
    await v.page.locator('#export-status', { hasText: 'pageviews.csv downloaded' }).waitFor();
    expectNoProblems(v.problems);
    await v.close();
  });

  it('shows the empty state in a range without data and API errors in place, panel by panel', async () => {
    const v = await openView(browser, tally.url, readToken, '#view=products&period=custom&from=2020-01-01&to=2020-01-31');
    expect(await v.page.locator('#products td.empty').innerText()).toBe('No data in this range');
    await v.page.evaluate(() => (location.hash = '#view=revenue&period=custom&from=2000-01-01&to=2026-01-01'));
    await waitForView(v.page, 'revenue');
    for (const key of ['revenue', 'channels']) {
      expect(await v.page.locator(`[data-panel=${key}] [role=alert]`).innerText()).toContain('the range may span at most');
    }
    expect(await v.page.locator('#dashboard').isVisible()).toBe(true); // still signed in, navigation still there
    await goToView(v.page, 'Overview', 'overview');
    expect(await v.page.locator('[data-panel=traffic] [role=alert]').innerText()).toContain('the range may span at most');
    expectNoProblems(v.problems, [/^400 .*\/reports\/(revenue|overview)\?/]);
    await v.close();
  });

  it('fits 390 to 1920 px: screenshots of overview, revenue, products and realtime in test-results/', async () => {
    const v = await openView(browser, tally.url, readToken, '#view=overview&period=7d');
    for (const [title, view] of [['Overview', 'overview'], ['Revenue', 'revenue'], ['Products', 'products'], ['Realtime', 'realtime']] as const) {
      if (view !== 'overview') await goToView(v.page, title, view);
      const shots = await screenshots(v.page, view);
      expect(shots.paths).toHaveLength(3);
      expect(shots.overflowing, `${view} scrolls sideways`).toEqual([]);
    }
    // A visitor of a moment ago (ingested now: the machine may be slow enough for the earlier ones to leave the 5-minute window).
    expect((await ingestDirect(db.pool, { siteId: site.id, events: [{ type: 'pageview', vid: 'now', ts: Date.now(), ip: '8.8.8.8', ua: UA, url: 'https://shop.example/live' }] })).accepted).toBe(1);
    await v.page.evaluate(() => (location.hash = `${location.hash}&x=1`));
    await waitForView(v.page, 'realtime');
    const live = (await (await fetch(`${tally.url}/api/v1/sites/${site.id}/reports/realtime`, { headers: { authorization: `Bearer ${readToken}` } })).json()) as { active_visitors: number };
    expect(live.active_visitors).toBeGreaterThanOrEqual(1);
    expect(await v.page.locator('[data-metric=active_visitors] .value').innerText()).toBe(String(live.active_visitors));
    expectNoProblems(v.problems);
    await v.close();
  });
});
