import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSite } from '../../src/sites/sites.ts';
import type { RunningServer } from '../../src/server.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startTestServer } from '../helpers/server.ts';
import { CHROMIUM_ARGS, chromiumPath, DESKTOP_UA } from './chromium.ts';
import { startFixtureShop, type FixtureShop } from './fixture-shop.ts';

/**
 * The tracker end to end: headless Chromium visits a fixture shop (its own origin) that loads
 * /t.js from a real Tally on a real PostgreSQL; every case asserts the rows that arrive.
 */
describe.skipIf(!chromiumPath)('tracker in Chromium', () => {
  let db: TestDatabase;
  let tally: RunningServer;
  let shop: FixtureShop;
  let browser: Browser;

  beforeAll(async () => {
    db = await createTestDatabase();
    tally = await startTestServer(db.url);
    shop = await startFixtureShop(tally.url);
    // The UA flag too: keepalive requests that outlive their page (beacons on navigation) do not
    // get the per-page override, and "HeadlessChrome" is dropped as a bot.
    browser = await chromium.launch({ executablePath: chromiumPath, args: [...CHROMIUM_ARGS, `--user-agent=${DESKTOP_UA}`] });
  });

  afterAll(async () => {
    await browser?.close();
    await shop?.close();
    await tally?.close();
    await db?.drop();
  });

  /** A site of its own per case, allowing the shop's origin. */
  async function newSite() {
    const site = await createSite(db.pool, { name: 'Fixture shop', domain: '127.0.0.1', allowedOrigins: [shop.url] });
    return { ...site, base: `${shop.url}/s/${site.publicKey}` };
  }

  async function newPage(init?: () => void): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ userAgent: DESKTOP_UA, viewport: { width: 1280, height: 720 } });
    if (init) await context.addInitScript(init);
    const page = await context.newPage();
    page.on('pageerror', () => undefined); // the fixture throws on purpose
    return { context, page };
  }

  /** Polls PostgreSQL until `done(rows)` holds (rows arrive asynchronously after the beacon). */
  async function rowsWhen<T extends Record<string, unknown>>(
    text: string,
    values: unknown[],
    done: (rows: T[]) => boolean,
    timeoutMs = 15_000,
  ): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await db.pool.query<T>({ text, values });
      if (done(rows)) return rows;
      if (Date.now() > deadline) throw new Error(`timed out waiting for rows of: ${text}\nlast: ${JSON.stringify(rows, null, 1)}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  const pageviews = (siteId: string, n: number) =>
    rowsWhen<{ path: string; url: string; referrer: string | null; title: string; utm_source: string | null; utm_medium: string | null; viewport_w: number; screen_w: number; user_id: string | null }>(
      `SELECT path, url, referrer, title, utm_source, utm_medium, viewport_w, screen_w, user_id FROM pageviews WHERE site_id = $1::bigint ORDER BY occurred_at, ingest_seq`,
      [siteId],
      (r) => r.length >= n,
    );

  it('counts the first pageview with referrer, title, UTM parameters and viewport', async () => {
    const site = await newSite();
    const { context, page } = await newPage();
    await page.goto(`${site.base}/products/1?utm_source=newsletter&utm_medium=email`, { referer: 'https://www.google.com/search?q=shop' });
    const rows = await pageviews(site.id, 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      path: `/s/${site.publicKey}/products/1`,
      url: `${site.base}/products/1?utm_source=newsletter&utm_medium=email`,
      title: 'Product 1',
      utm_source: 'newsletter',
      utm_medium: 'email',
      viewport_w: 1280,
    });
    expect(rows[0]!.referrer).toMatch(/^https:\/\/www\.google\.com\//);
    // Event ids are UUIDv7 whose time is the event's own (time-ordered keys for the dedup index).
    const ids = await rowsWhen<{ id: string; ms: string }>(
      `SELECT event_id::text AS id, (extract(epoch FROM occurred_at) * 1000)::bigint::text AS ms FROM pageviews WHERE site_id = $1::bigint`,
      [site.id],
      (r) => r.length >= 1,
    );
    expect(ids[0]!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(ids[0]!.id.replace('-', '').slice(0, 12), 16)).toBe(Number(ids[0]!.ms));
    await context.close();
  });

  it('counts SPA navigations once per path, with the previous page as referrer, and the back button', async () => {
    const site = await newSite();
    const { context, page } = await newPage();
    await page.goto(`${site.base}/app/`);
    await page.waitForFunction(() => typeof (window as { tally?: { track?: unknown } }).tally?.track === 'function');
    await page.click('#to-cart');
    await page.click('#to-checkout');
    // same path, new query: not a new pageview
    await page.evaluate(() => history.replaceState({}, '', `${location.pathname}?step=2`));
    await page.goBack(); // popstate back to /app/cart (from the replaced entry)
    const rows = await pageviews(site.id, 4);
    const p = `/s/${site.publicKey}/app`;
    expect(rows.map((r) => r.path)).toEqual([`${p}/`, `${p}/cart`, `${p}/checkout`, `${p}/cart`]);
    expect(rows[1]!.referrer).toBe(`${site.base}/app/`);
    expect(rows[2]!.referrer).toBe(`${site.base}/app/cart`);
    expect(rows[3]!.referrer).toBe(`${site.base}/app/checkout`);
    await page.goto('about:blank'); // flushes whatever is still queued: nothing more may come
    await new Promise((r) => setTimeout(r, 500));
    expect(await pageviews(site.id, 4)).toHaveLength(4);
    await context.close();
  });

  it('stores custom events, revenue, data-attribute clicks and calls queued before load (identify), once with t.js included twice', async () => {
    const site = await newSite();
    const { context, page } = await newPage();
    await page.goto(`${site.base}/products/7?customer=c-42&twice=1`); // t.js included twice: counts once
    await page.waitForFunction(() => typeof (window as { tally?: { track?: unknown } }).tally?.track === 'function');
    await page.click('#add');
    await page.click('#buy');
    const rows = await rowsWhen<{ name: string; props: Record<string, unknown> | null; revenue_amount: number | null; revenue_currency: string | null; user_id: string | null; path: string }>(
      `SELECT name, props, revenue_amount, revenue_currency, user_id, path FROM events WHERE site_id = $1::bigint ORDER BY occurred_at, ingest_seq`,
      [site.id],
      (r) => r.length >= 3,
    );
    expect(rows).toEqual([
      { name: 'queued_before_load', props: { from: 'stub' }, revenue_amount: null, revenue_currency: null, user_id: 'c-42', path: `/s/${site.publicKey}/products/7` },
      { name: 'add_to_cart', props: { product: 'p-7', price: '1999' }, revenue_amount: null, revenue_currency: null, user_id: 'c-42', path: `/s/${site.publicKey}/products/7` },
      { name: 'purchase', props: { order: 'o-7' }, revenue_amount: 4999, revenue_currency: 'EUR', user_id: 'c-42', path: `/s/${site.publicKey}/products/7` },
    ]);
    await page.goto('about:blank');
    await new Promise((r) => setTimeout(r, 500));
    const { rows: all } = await db.pool.query({ text: `SELECT 1 FROM events WHERE site_id = $1::bigint`, values: [site.id] });
    expect(all).toHaveLength(3);
    const pvs = await pageviews(site.id, 1);
    expect(pvs).toHaveLength(1);
    expect(pvs[0]!.user_id).toBe('c-42');
    await context.close();
  });

  it('records heatmap clicks with selectors, rage clicks and the scroll depth when the page is left', async () => {
    const site = await newSite();
    const { context, page } = await newPage();
    await page.goto(`${site.base}/products/3`);
    await page.waitForFunction(() => typeof (window as { tally?: { track?: unknown } }).tally?.track === 'function');
    await page.click('#add .label');
    for (let i = 0; i < 3; i++) await page.mouse.click(600, 400, { delay: 10 }); // rage on the filler
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await page.waitForTimeout(200);
    await page.goto('about:blank');
    const rows = await rowsWhen<{ x: number; y: number; kind: string; selector: string | null; viewport_w: number; doc_height: number; scroll_depth: number | null; path: string }>(
      `SELECT x, y, kind, selector, viewport_w, doc_height, scroll_depth, path FROM heatmap_points WHERE site_id = $1::bigint ORDER BY occurred_at, ingest_seq, x`,
      [site.id],
      (r) => r.filter((p) => p.kind !== 'scroll').length >= 4 && r.some((p) => p.scroll_depth === 100),
    );
    const clicks = rows.filter((p) => p.kind !== 'scroll');
    expect(clicks.map((p) => p.kind)).toEqual(['click', 'click', 'click', 'rage']);
    expect(clicks[0]!.selector).toBe('#add>span.label');
    expect(clicks[1]!.selector).toBe('#product>div.filler');
    expect(clicks.slice(1).every((p) => p.x === 600 && p.y === 400)).toBe(true);
    expect(rows.every((p) => p.viewport_w === 1280 && p.doc_height > 3000 && p.path === `/s/${site.publicKey}/products/3`)).toBe(true);
    expect(Math.max(...rows.map((p) => p.scroll_depth ?? 0))).toBe(100);
    await context.close();
  });

  it('captures an uncaught error and a rejected promise, and a loop of errors cannot flood', async () => {
    const site = await newSite();
    const { context, page } = await newPage();
    await page.goto(`${site.base}/products/4`);
    await page.waitForFunction(() => typeof (window as { tally?: { track?: unknown } }).tally?.track === 'function');
    await page.click('#throw');
    await page.click('#reject');
    await page.click('#loop'); // 100 identical RangeErrors
    await page.waitForTimeout(300);
    const rows = await rowsWhen<{ kind: string; message: string; stack: string | null; file: string | null; line: number | null; col: number | null; handled: boolean | null }>(
      `SELECT kind, message, stack, file, line, col, handled FROM errors WHERE site_id = $1::bigint ORDER BY occurred_at, ingest_seq`,
      [site.id],
      (r) => r.length >= 7,
    );
    const typeError = rows.find((r) => r.kind === 'TypeError')!;
    expect(typeError.message).toMatch(/boom|undefined/);
    expect(typeError.file).toBe(`${site.base}/products/4`);
    expect(typeError.line).toBeGreaterThan(0);
    expect(typeError.col).toBeGreaterThan(0);
    expect(typeError.handled).toBe(false);
    const rejected = rows.find((r) => r.message === 'payment declined')!;
    expect(rejected.kind).toBe('Error');
    expect(rejected.stack).toContain('payment declined');
    expect(rejected.file).toBe(`${site.base}/products/4`);
    await page.goto('about:blank'); // flushes the rest
    await new Promise((r) => setTimeout(r, 500));
    const { rows: loop } = await db.pool.query({ text: `SELECT 1 FROM errors WHERE site_id = $1::bigint AND kind = 'RangeError'`, values: [site.id] });
    expect(loop).toHaveLength(5); // the token bucket's burst, not 100
    await context.close();
  });

  it('delivers events of a page left before the 2 s batch timer (sendBeacon), on navigation and on close', async () => {
    const site = await newSite();
    const { context, page } = await newPage();
    await page.goto(`${site.base}/products/5`);
    await page.waitForFunction(() => typeof (window as { tally?: { track?: unknown } }).tally?.track === 'function');
    await page.click('#leave'); // tracks leave_click, then navigates to product 2 at once
    await page.waitForURL(/products\/2$/);
    await page.evaluate(() => (window as unknown as { tally: { track(n: string): void } }).tally.track('before_close'));
    await page.close({ runBeforeUnload: true });
    const rows = await rowsWhen<{ name: string; path: string }>(
      `SELECT name, path FROM events WHERE site_id = $1::bigint ORDER BY occurred_at`,
      [site.id],
      (r) => r.length >= 2,
    );
    expect(rows).toEqual([
      { name: 'leave_click', path: `/s/${site.publicKey}/products/5` },
      { name: 'before_close', path: `/s/${site.publicKey}/products/2` },
    ]);
    expect((await pageviews(site.id, 2)).map((r) => r.path)).toEqual([`/s/${site.publicKey}/products/5`, `/s/${site.publicKey}/products/2`]);
    await context.close();
  });

  it('retries after a network failure and a 503 without double counting', async () => {
    const site = await newSite();
    const { context, page } = await newPage();
    let attempts = 0;
    await context.route(`${tally.url}/collect`, async (route) => {
      attempts++;
      if (attempts === 1) await route.abort('connectionreset');
      else if (attempts === 2) await route.fulfill({ status: 503, headers: { 'access-control-allow-origin': '*', 'retry-after': '1' }, body: '{}' });
      else await route.continue();
    });
    await page.goto(`${site.base}/products/6`);
    await page.waitForFunction(() => typeof (window as { tally?: { track?: unknown } }).tally?.track === 'function');
    await page.click('#add');
    const rows = await pageviews(site.id, 1);
    await rowsWhen(`SELECT 1 FROM events WHERE site_id = $1::bigint`, [site.id], (r) => r.length >= 1);
    expect(attempts).toBeGreaterThanOrEqual(3);
    await page.goto('about:blank'); // a last beacon must not duplicate anything either
    await new Promise((r) => setTimeout(r, 500));
    expect(await pageviews(site.id, 1)).toHaveLength(rows.length);
    const { rows: events } = await db.pool.query({ text: `SELECT name FROM events WHERE site_id = $1::bigint`, values: [site.id] });
    expect(rows).toHaveLength(1);
    expect(events).toEqual([{ name: 'add_to_cart' }]);
    await context.close();
  });

  it('hash mode counts hash routes; data-exclude paths send no pageview', async () => {
    const site = await newSite();
    const { context, page } = await newPage();
    const first = `${site.base}/app/?hash=1&exclude=${encodeURIComponent('/s/*/app/private/**')}`;
    await page.goto(first);
    await page.waitForFunction(() => typeof (window as { tally?: { track?: unknown } }).tally?.track === 'function');
    await page.evaluate(() => (location.hash = '#/cart'));
    await page.evaluate(() => history.pushState({}, '', `${location.pathname}private/account`)); // excluded
    await page.evaluate(() => (location.hash = '#/orders')); // still excluded
    await page.evaluate(() => history.pushState({}, '', location.pathname.replace('private/account', 'done')));
    await page.goto('about:blank');
    const rows = await pageviews(site.id, 3);
    await new Promise((r) => setTimeout(r, 500));
    expect(await pageviews(site.id, 3)).toHaveLength(3);
    const p = `/s/${site.publicKey}/app`;
    expect(rows.map((r) => r.path)).toEqual([`${p}/`, `${p}/`, `${p}/done`]);
    expect(rows[1]!.url).toBe(`${first}#/cart`);
    expect(rows[2]!.referrer).toBe(`${first}#/cart`); // the excluded pages are not referrers either
    await context.close();
  });

  it('data-auto="false" sends only the pageviews asked for with tally.pageview(url?)', async () => {
    const site = await newSite();
    const { context, page } = await newPage();
    await page.goto(`${site.base}/app/?auto=false`);
    await page.waitForFunction(() => typeof (window as { tally?: { track?: unknown } }).tally?.track === 'function');
    await page.click('#to-cart'); // pushState: not counted in manual mode
    await page.evaluate(() => {
      const t = (window as unknown as { tally: { pageview(u?: string): void } }).tally;
      t.pageview('/virtual/step-1?x=1');
      t.pageview();
    });
    await page.goto('about:blank');
    const rows = await pageviews(site.id, 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(await pageviews(site.id, 2)).toHaveLength(2);
    expect(rows.map((r) => r.url)).toEqual([`${shop.url}/virtual/step-1?x=1`, `${site.base}/app/cart`]);
    expect(rows[1]!.referrer).toBe(`${shop.url}/virtual/step-1?x=1`);
    await context.close();
  });

  it('data-visitor="persistent" keeps a random id per browser; cookieless lets the server derive one', async () => {
    const site = await newSite();
    const visitorIds = async (path: string) => {
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const { context, page } = await newPage(); // two browsers (separate storage), same IP and UA
        await page.goto(`${site.base}${path}`);
        await page.waitForFunction(() => typeof (window as { tally?: { track?: unknown } }).tally?.track === 'function');
        await page.goto(`${site.base}${path.replace('/products/', '/products/again-')}`);
        await page.goto('about:blank');
        // The second page's view leaves with sendBeacon on pagehide; a browser sends it after the
        // page is gone, but closing the context kills it if it is still queued (seen under load).
        const rows = await rowsWhen<{ visitor_id: string }>(
          `SELECT visitor_id FROM pageviews WHERE site_id = $1::bigint AND path LIKE $2::text ORDER BY occurred_at`,
          [site.id, `%${path.split('?')[0]!.split('/').pop()}`],
          (r) => r.length >= 2 * (i + 1),
        );
        await context.close();
        expect(new Set(rows.slice(2 * i).map((r) => r.visitor_id)).size).toBe(1); // stable across pages
        ids.push(rows[2 * i]!.visitor_id);
      }
      return ids;
    };
    const persistent = await visitorIds('/products/pers?visitor=persistent');
    expect(persistent[0]).not.toBe(persistent[1]);
    const cookieless = await visitorIds('/products/cless');
    expect(cookieless[0]).toBe(cookieless[1]);
  });

  it('keeps working, silently, when storage is blocked, and never surfaces its own errors', async () => {
    const site = await newSite();
    const { context, page } = await newPage(() => {
      for (const name of ['localStorage', 'sessionStorage']) {
        Object.defineProperty(window, name, {
          get() {
            throw new DOMException('The operation is insecure.', 'SecurityError');
          },
        });
      }
    });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(`${e.message}\n${e.stack ?? ''}`));
    await page.goto(`${site.base}/products/10?visitor=persistent&customer=c-7`);
    await page.waitForFunction(() => typeof (window as { tally?: { track?: unknown } }).tally?.track === 'function');
    await page.evaluate(() => {
      const t = (window as unknown as { tally: { track(...a: unknown[]): void; pageview(u: unknown): void } }).tally;
      t.track('weird', { nested: { deep: 1 } }, { revenue: { amount: 'x' } }); // rejected by the server, not thrown
      t.pageview('http://[bad');
      t.track('fine');
    });
    await page.click('#add');
    const rows = await rowsWhen<{ name: string; user_id: string | null }>(
      `SELECT name, user_id FROM events WHERE site_id = $1::bigint ORDER BY occurred_at`,
      [site.id],
      (r) => r.some((e) => e.name === 'add_to_cart'),
    );
    expect(rows.map((r) => r.name)).toEqual(['queued_before_load', 'fine', 'add_to_cart']);
    expect(rows.every((r) => r.user_id === 'c-7')).toBe(true); // identify works without sessionStorage
    expect(await pageviews(site.id, 1)).toHaveLength(1);
    expect(pageErrors.filter((e) => e.includes('/t.js'))).toEqual([]);
    await context.close();
  });

  it('a background tab waits until it is visible before counting its pageview', async () => {
    const site = await newSite();
    const { context, page } = await newPage(() => {
      // a tab opened in the background: hidden until the test "switches" to it
      const w = window as unknown as { __visible?: boolean };
      Object.defineProperty(Document.prototype, 'visibilityState', { get: () => (w.__visible ? 'visible' : 'hidden') });
    });
    await page.goto(`${site.base}/products/bg`);
    await page.waitForFunction(() => typeof (window as { tally?: { track?: unknown } }).tally?.track === 'function');
    await new Promise((r) => setTimeout(r, 2500)); // more than the batch interval
    expect(await pageviews(site.id, 0)).toHaveLength(0);
    await page.evaluate(() => {
      (window as unknown as { __visible?: boolean }).__visible = true;
      document.dispatchEvent(new Event('visibilitychange'));
    });
    expect((await pageviews(site.id, 1)).map((r) => r.path)).toEqual([`/s/${site.publicKey}/products/bg`]);
    await context.close();
  });

  it('counts a back/forward-cache restore as a pageview', async () => {
    const site = await newSite();
    const { context, page } = await newPage();
    await page.goto(`${site.base}/products/8`);
    await page.waitForFunction(() => typeof (window as { tally?: { track?: unknown } }).tally?.track === 'function');
    await page.goto(`${site.base}/products/9`);
    await page.waitForFunction(() => typeof (window as { tally?: { track?: unknown } }).tally?.track === 'function');
    await page.goBack();
    const rows = await pageviews(site.id, 3);
    expect(rows.map((r) => r.path.split('/').pop())).toEqual(['8', '9', '8']);
    await context.close();
  });

  it('sends nothing when opted out (localStorage), under DNT or GPC with data-do-not-track, or on localhost without data-localhost', async () => {
    const site = await newSite();
    const visit = async (path: string, init?: () => void) => {
      const { context, page } = await newPage(init);
      await page.goto(`${site.base}${path}`);
      await page.waitForFunction(() => typeof (window as { tally?: { track?: unknown } }).tally?.track === 'function');
      await page.click('#add');
      await page.click('#throw');
      await page.goto('about:blank'); // would flush by beacon
      // Give a beacon time to leave: closing the context at once would kill it, and hide a bug.
      await new Promise((r) => setTimeout(r, 300));
      await context.close();
    };
    await visit('/products/optout', () => localStorage.setItem('tally_ignore', 'true'));
    await visit('/products/dnt?dnt=1', () => Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' }));
    await visit('/products/gpc?dnt=1', () => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
    await visit('/products/local?nolocal=1');
    // DNT without data-do-not-track is not honoured (the site did not ask), and is the control:
    await visit('/products/control', () => Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' }));
    await rowsWhen(`SELECT 1 FROM errors WHERE site_id = $1::bigint`, [site.id], (r) => r.length >= 1);
    await new Promise((r) => setTimeout(r, 500));
    for (const table of ['pageviews', 'events', 'errors', 'heatmap_points']) {
      const { rows } = await db.pool.query<{ path: string }>({ text: `SELECT DISTINCT path FROM ${table} WHERE site_id = $1::bigint`, values: [site.id] });
      expect(rows.map((r) => r.path), table).toEqual([`/s/${site.publicKey}/products/control`]);
    }
  });
});
