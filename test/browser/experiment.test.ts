import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSite } from '../../src/sites/sites.ts';
import { createToken } from '../../src/sites/tokens.ts';
import type { RunningServer } from '../../src/server.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startTestServer } from '../helpers/server.ts';
import { CHROMIUM_ARGS, chromiumPath, DESKTOP_UA } from './chromium.ts';
import { startFixtureShop, type FixtureShop } from './fixture-shop.ts';

/**
 * `tally.experiment(key)` end to end (contract §7): headless Chromium on the fixture shop, a real
 * Tally on a real PostgreSQL. The variant the page gets is the one the server-side endpoint gives
 * for the visitor id its `$exposure` was stored under, and one exposure is stored per page.
 */
describe.skipIf(!chromiumPath)('tally.experiment in Chromium', () => {
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

  async function siteWithExperiments() {
    const site = await createSite(db.pool, { name: 'Fixture shop', domain: '127.0.0.1', allowedOrigins: [shop.url] });
    const read = await createToken(db.pool, site.id, 'read');
    for (const [key, status] of [['checkout_button', 'running'], ['paused', 'draft']] as const) {
      const res = await fetch(`${tally.url}/api/v1/sites/${site.id}/experiments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${site.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ key, status, variants: [{ key: 'control', weight: 0.5 }, { key: 'treatment', weight: 0.5 }], metrics: [{ key: 'orders', type: 'order' }] }),
      });
      expect(res.status).toBe(201);
    }
    const serverVariant = async (key: string, visitorId: string) => {
      const res = await fetch(`${tally.url}/api/v1/sites/${site.id}/experiments/${key}/assign?visitor_id=${encodeURIComponent(visitorId)}`, { headers: { authorization: `Bearer ${read}` } });
      return ((await res.json()) as { variant: string | null }).variant;
    };
    return { ...site, base: `${shop.url}/s/${site.publicKey}`, serverVariant };
  }

  async function exposuresWhen(siteId: string, n: number) {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const { rows } = await db.pool.query<{ visitor_id: string; props: { experiment: string; variant: string } }>({
        text: `SELECT visitor_id, props FROM events WHERE site_id = $1::bigint AND name = '$exposure' ORDER BY ingest_seq`,
        values: [siteId],
      });
      if (rows.length >= n || Date.now() > deadline) return rows;
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  for (const mode of ['cookieless', 'persistent'] as const) {
    it(`resolves the server's variant and stores one $exposure per page (${mode} visitor id)`, async () => {
      const site = await siteWithExperiments();
      const context = await browser.newContext({ userAgent: DESKTOP_UA });
      const page = await context.newPage();
      page.on('pageerror', () => undefined); // the fixture throws on purpose
      await page.goto(`${site.base}/products/1${mode === 'persistent' ? '?visitor=persistent' : ''}`);
      await page.waitForFunction(() => typeof (window as { tally?: { experiment?: unknown } }).tally?.experiment === 'function');
      const answers = await page.evaluate(async () => {
        const t = (window as unknown as { tally: { experiment(k: string): Promise<string | null> } }).tally;
        const first = await t.experiment('checkout_button');
        const again = await t.experiment('checkout_button');
        const paused = await t.experiment('paused');
        const unknown = await t.experiment('no_such_experiment');
        return { first, again, paused, unknown, vid: localStorage.getItem('tally_vid') };
      });
      expect(answers.first).toMatch(/^(control|treatment)$/);
      expect(answers.again).toBe(answers.first);
      expect(answers.paused).toBeNull();
      expect(answers.unknown).toBeNull();
      await page.goto('about:blank'); // leaving flushes the queue by beacon
      const rows = await exposuresWhen(site.id, 1);
      await new Promise((r) => setTimeout(r, 500));
      expect(await exposuresWhen(site.id, 0)).toHaveLength(1); // no second exposure came after
      expect(rows[0]!.props).toEqual({ experiment: 'checkout_button', variant: answers.first });
      if (mode === 'persistent') expect(rows[0]!.visitor_id).toBe(answers.vid);
      expect(await site.serverVariant('checkout_button', rows[0]!.visitor_id)).toBe(answers.first);
      await context.close();
    });
  }
});
