import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSite } from '../../src/sites/sites.ts';
import type { RunningServer } from '../../src/server.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startTestServer } from '../helpers/server.ts';
import { CHROMIUM_ARGS, chromiumPath, DESKTOP_UA } from './chromium.ts';
import { startFixtureShop, type FixtureShop } from './fixture-shop.ts';

/**
 * `tally.search(q, results)` and a result click sent with `tally.track('search_click', …)`
 * (contract §4.6), end to end in headless Chromium on the fixture shop: the events stored are the
 * contract's shape; a missing or non-count `results` is sent without it (unknown).
 */
describe.skipIf(!chromiumPath)('tally.search in Chromium', () => {
  let db: TestDatabase;
  let tally: RunningServer;
  let shop: FixtureShop;
  let browser: Browser;

  beforeAll(async () => {
    db = await createTestDatabase();
    tally = await startTestServer(db.url);
    shop = await startFixtureShop(tally.url);
    browser = await chromium.launch({ executablePath: chromiumPath, args: [...CHROMIUM_ARGS, `--user-agent=${DESKTOP_UA}`] });
  });
  afterAll(async () => {
    await browser?.close();
    await shop?.close();
    await tally?.close();
    await db?.drop();
  });

  it('stores search events with q and results, and search_click with q, position, product_id', async () => {
    const site = await createSite(db.pool, { name: 'Fixture shop', domain: '127.0.0.1', allowedOrigins: [shop.url] });
    const context = await browser.newContext({ userAgent: DESKTOP_UA });
    const page = await context.newPage();
    page.on('pageerror', () => undefined); // the fixture throws on purpose
    await page.goto(`${shop.url}/s/${site.publicKey}/products/1`);
    await page.waitForFunction(() => typeof (window as { tally?: { search?: unknown } }).tally?.search === 'function');
    await page.evaluate(() => {
      const t = (window as unknown as { tally: { search(q: string, r?: number): void; track(n: string, p: object): void } }).tally;
      t.search('Red Dress', 12);
      t.search('nothing here', 0);
      t.search('unknown count');
      t.search('bad count', Number.NaN);
      t.track('search_click', { q: 'Red Dress', position: 2, product_id: 'p1' });
    });
    await page.goto('about:blank'); // leaving flushes the queue by beacon
    const deadline = Date.now() + 15_000;
    let rows: { name: string; props: Record<string, unknown> }[] = [];
    while (rows.length < 5 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 150));
      rows = (await db.pool.query({ text: `SELECT name, props FROM events WHERE site_id = $1::bigint AND name LIKE 'search%' ORDER BY ingest_seq`, values: [site.id] })).rows;
    }
    expect(rows).toEqual([
      { name: 'search', props: { q: 'Red Dress', results: 12 } },
      { name: 'search', props: { q: 'nothing here', results: 0 } },
      { name: 'search', props: { q: 'unknown count' } },
      { name: 'search', props: { q: 'bad count' } },
      { name: 'search_click', props: { q: 'Red Dress', position: 2, product_id: 'p1' } },
    ]);
    await context.close();
  });
});
