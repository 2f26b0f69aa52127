import { readFile } from 'node:fs/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunnelReport } from '../../src/reports/funnel/report.ts';
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
 * The funnels view in Chromium: the builder's funnel is the API's (same body, same numbers), the
 * built definition round-trips through the fragment, "Save funnel" stores a funnel the API then
 * lists and whose saved report the page shows, a breakdown shows as grouped bars with its table,
 * the dropped-off people download as CSV, and a read-only sign-in cannot save (and says why).
 */
const MINUTE = 60_000;
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';

describe.skipIf(!chromiumPath)('funnels view in Chromium', () => {
  let db: TestDatabase;
  let tally: RunningServer;
  let browser: Browser;
  let site: { id: string; token: string };
  let readToken: string;
  const today = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - 6 * 86_400_000).toISOString().slice(0, 10);
  const range = { from, to: today, tz: 'UTC' };
  const hash = `period=custom&from=${from}&to=${today}&tz=UTC`;

  const call = async <T>(method: string, path: string, body?: unknown, token = readToken): Promise<T> => {
    const res = await fetch(`${tally.url}/api/v1/sites/${site.id}/${path}`, {
      method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? null : JSON.stringify(body),
    });
    expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300);
    return (await res.json()) as T;
  };
  const rowsOf = (page: Page, selector: string) =>
    page.locator(selector).evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent ?? '')));
  const expectSteps = async (page: Page, want: FunnelReport) => {
    const rows = await rowsOf(page, '#funnel-steps tbody tr');
    expect(rows.map((r) => [r[1], r[4]])).toEqual(want.steps.map((s) => [String(s.count), String(s.dropoff)]));
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    tally = await startTestServer(db.url);
    site = await createSite(db.pool, { name: 'Funnel shop', domain: 'shop.example', timezone: 'UTC', currency: 'USD' });
    readToken = await createToken(db.pool, site.id, 'read', 'funnels view');
    const now = Date.now() - 3 * 3_600_000;
    const events: Record<string, unknown>[] = [];
    // 12 visitors land on /, 8 view a product, 5 add to cart (one with an XSS-probe prop), 3 buy.
    for (let i = 0; i < 12; i++) {
      const t = now - i * 10 * MINUTE;
      const ua = i % 3 === 0 ? IPHONE : UA;
      events.push({ type: 'pageview', vid: `f${i}`, ts: t, url: 'https://shop.example/', ua });
      if (i < 8) events.push({ type: 'pageview', vid: `f${i}`, ts: t + MINUTE, url: `https://shop.example/products/p${i % 3}`, ua });
      if (i < 5) events.push({ type: 'event', name: 'add_to_cart', vid: `f${i}`, ts: t + 2 * MINUTE, url: 'https://shop.example/products/p1', props: { plan: i === 4 ? XSS_PROBE : 'basic' }, ua });
    }
    expect((await ingestDirect(db.pool, { siteId: site.id, events: events.map((e) => ({ ip: '8.8.8.8', ...e })) })).rejected).toEqual([]);
    await call('POST', 'orders', [0, 1, 2].map((i) => ({
      id: `fo${i}`, visitor_id: `f${i}`, status: 'paid', currency: 'USD', subtotal: 3_000, discount: 0, tax: 0, shipping: 0, total: 3_000,
      created_at: new Date(now - i * 10 * MINUTE + 5 * MINUTE).toISOString(), items: [{ product_id: 'p1', name: 'Mug', quantity: 1, unit_price: 3_000 }],
    })), site.token);
    await runJobsNow({ pool: tally.deps.pool, config: tally.deps.config, logger: tally.deps.logger }, 'all');
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await tally?.close();
    await db?.drop();
  });

  it('builds a funnel, shows the API’s numbers, saves it (the API lists it), and reads the saved report', async () => {
    // Write scope alone cannot read reports: an admin token reads and writes.
    const v = await openView(browser, tally.url, site.token, `#view=funnels&${hash}`);
    const { page } = v;
    // The default funnel: any page → a product page → a paid order.
    const first = await call<FunnelReport>('POST', 'reports/funnel', { steps: [{ type: 'pageview', path: '/**' }, { type: 'pageview', path: '/products/*' }, { type: 'order' }], ...range });
    await expectSteps(page, first);
    // Build: step 1 = '/', insert an add_to_cart event before the order (add, then move up).
    await page.getByLabel('Step 1 page path').fill('/');
    await page.getByRole('button', { name: 'Add step' }).click();
    await page.getByLabel('Step 4 type').selectOption('event');
    await page.getByLabel('Step 4 event name').fill('add_to_cart');
    await page.getByRole('button', { name: 'Move step 4 up' }).click();
    await rerender(page, 'funnels', () => page.getByRole('button', { name: 'Show funnel' }).click());
    const steps = [{ type: 'pageview', path: '/' }, { type: 'pageview', path: '/products/*' }, { type: 'event', name: 'add_to_cart' }, { type: 'order' }];
    expect(JSON.parse((await fragment(page)).get('def')!)).toMatchObject({ steps });
    const built = await call<FunnelReport>('POST', 'reports/funnel', { steps, ...range });
    expect(built.steps.map((s) => s.count)).toEqual([12, 8, 5, 3]);
    await expectSteps(page, built);
    // The definition survives a reload.
    await page.reload();
    await waitForView(page, 'funnels');
    await expectSteps(page, built);
    // Dropped off before step 3 (viewed a product, no add to cart): 3 people, as CSV.
    const download = page.waitForEvent('download');
    await page.locator('[data-download="2"]').click();
    const csv = await readFile((await (await download).path())!, 'utf8');
    expect(csv.trim().split('\n')).toHaveLength(1 + built.steps[2]!.dropoff);
    expect(csv.split('\n')[0]).toBe('visitor_id,session_id,customer_id,entered_at');
    // Save.
    await page.locator('#funnel-name').fill(`Checkout ${XSS_PROBE}`);
    await rerender(page, 'funnels', () => page.getByRole('button', { name: 'Save funnel' }).click());
    const listed = (await call<{ funnels: { id: string; name: string; steps: unknown[] }[] }>('GET', 'funnels')).funnels;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ name: `Checkout ${XSS_PROBE}`, steps });
    expect((await fragment(page)).get('funnel')).toBe(listed[0]!.id);
    const saved = await call<FunnelReport>('GET', `funnels/${listed[0]!.id}/report?${new URLSearchParams(range)}`);
    expect(saved.steps.map((s) => s.count)).toEqual(built.steps.map((s) => s.count));
    await expectSteps(page, saved);
    await expectXssInert(page, v.problems);
    // A breakdown by device: grouped bars and their table.
    await rerender(page, 'funnels', () => page.selectOption('#funnel-breakdown-by', 'device'));
    const byDevice = await call<FunnelReport>('GET', `funnels/${listed[0]!.id}/report?${new URLSearchParams({ ...range, breakdown: 'device' })}`);
    const rows = await rowsOf(page, '#funnel-breakdown tbody tr');
    expect(rows.map((r) => r.slice(0, 5))).toEqual(byDevice.breakdown!.map((b) => [b.key, ...b.steps.map((s) => String(s.count))]));
    const shots = await screenshots(page, 'funnels');
    expect(shots.overflowing).toEqual([]);
    expectNoProblems(v.problems);
    await v.close();
  });

  it('a read-only sign-in builds and reads funnels but cannot save one, and says why', async () => {
    const v = await openView(browser, tally.url, readToken, `#view=funnels&${hash}&def=${encodeURIComponent(JSON.stringify({ steps: [{ type: 'pageview', path: '/' }, { type: 'order' }] }))}`);
    const { page } = v;
    expect(await page.locator('#funnel-save').isDisabled()).toBe(true);
    expect(await page.locator('.save-funnel [role=status]').innerText()).toContain('write scope');
    const want = await call<FunnelReport>('POST', 'reports/funnel', { steps: [{ type: 'pageview', path: '/' }, { type: 'order' }], ...range });
    await expectSteps(page, want);
    expectNoProblems(v.problems);
    await v.close();
  });
});
