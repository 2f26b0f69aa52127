import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestDirect } from '../../src/ingest/writer/direct.ts';
import { runJobsNow } from '../../src/jobs/run.ts';
import type { RunningServer } from '../../src/server.ts';
import { createSite } from '../../src/sites/sites.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startTestServer } from '../helpers/server.ts';
import { CHROMIUM_ARGS, chromiumPath } from './chromium.ts';
import { expectNoProblems, fragment, openDashboard, waitForView } from './dashboard-harness.ts';

/**
 * Share links in Chromium (issue #20 point 2): an admin creates one through the API; opening its
 * URL shows the dashboard without the sign-in form, the token leaves the address bar at once; once
 * revoked, the page says so in plain words instead of showing numbers.
 */
describe.skipIf(!chromiumPath)('share links in Chromium', () => {
  let db: TestDatabase;
  let tally: RunningServer;
  let browser: Browser;
  let site: { id: string; token: string };

  beforeAll(async () => {
    db = await createTestDatabase();
    tally = await startTestServer(db.url);
    site = await createSite(db.pool, { name: 'Shared shop', domain: 'shop.example', timezone: 'Europe/Berlin' });
    const now = Date.now();
    const views = ['a', 'b', 'c'].map((vid, i) => ({ type: 'pageview', vid, ip: '8.8.8.8', ts: now - (i + 1) * 3_600_000, url: `https://shop.example/p${i}`,
      ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' }));
    expect((await ingestDirect(db.pool, { siteId: site.id, events: views })).accepted).toBe(3);
    await runJobsNow({ pool: tally.deps.pool, config: tally.deps.config, logger: tally.deps.logger }, 'all');
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await tally?.close();
    await db?.drop();
  });

  async function admin(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${tally.url}/api/v1/sites/${site.id}/${path}`, {
      method,
      headers: { authorization: `Bearer ${site.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  it('opens the overview without sign-in, takes the token out of the address bar, and says so once the link is revoked', async () => {
    const res = await admin('POST', 'share-links', { name: 'board' });
    expect(res.status).toBe(201);
    const link = (await res.json()) as { id: string; url: string; token: string };
    expect(link.url).toBe(`${tally.url}/dashboard#share=${link.token}`);

    const opened = await openDashboard(browser, link.url.replace(/\/dashboard.*$/, ''), link.url.slice(link.url.indexOf('#')));
    const { page } = opened;
    await waitForView(page, 'overview');
    expect(await page.locator('#sign-in').isHidden()).toBe(true);
    expect(await page.locator('[data-metric=visitors] .value').innerText()).toBe('3');
    expect(await page.locator('#site-label').innerText()).toContain('shared view');
    // The token is gone from the address bar and from history; the fragment is the view's.
    expect(await page.evaluate(() => location.href)).not.toContain('tly_');
    expect((await fragment(page)).get('view')).toBe('overview');
    expect(await page.evaluate(() => history.length)).toBe(2); // about:blank and this page: the token's URL was replaced, not pushed
    expect(await page.evaluate(() => sessionStorage.getItem('tally.dashboard.session'))).toContain(link.token);
    // The navigation's links share views, never the token.
    for (const href of await page.locator('nav[aria-label=Views] a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href))) {
      expect(href).not.toContain('tly_');
    }
    expectNoProblems(opened.problems);

    expect((await admin('DELETE', `share-links/${link.id}`)).status).toBe(200);
    await page.reload();
    await page.locator('#sign-in:not([hidden])').waitFor();
    expect(await page.locator('#sign-in-error').innerText()).toBe(
      'This share link was revoked or has expired. Ask whoever shared it for a new link, or sign in with a token.',
    );
    expect(await page.locator('#dashboard').isHidden()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await opened.close();

    // The revoked link opened afresh says the same, before any number is shown.
    const again = await openDashboard(browser, tally.url, link.url.slice(link.url.indexOf('#')));
    await again.page.locator('#sign-in-error:not([hidden])').waitFor();
    expect(await again.page.locator('#sign-in-error').innerText()).toContain('This share link was revoked');
    expect(await again.page.evaluate(() => location.href)).not.toContain('tly_');
    expectNoProblems(again.problems, [/^401 .*\/api\/v1\/sites\/\d+\/(reports\/overview\?|token$)/]); // the sign-in probe's two requests
    await again.close();
  });

  it('a link made with a fragment opens that view; a cut-short link says so', async () => {
    const link = (await (await admin('POST', 'share-links', { fragment: 'view=realtime&period=7d' })).json()) as { url: string };
    const opened = await openDashboard(browser, tally.url, link.url.slice(link.url.indexOf('#')));
    await waitForView(opened.page, 'realtime');
    expect(Object.fromEntries(await fragment(opened.page))).toMatchObject({ view: 'realtime', period: '7d' });
    expectNoProblems(opened.problems);
    await opened.close();

    const cut = await openDashboard(browser, tally.url, link.url.slice(link.url.indexOf('#')).slice(0, 30));
    await cut.page.locator('#sign-in-error:not([hidden])').waitFor();
    expect(await cut.page.locator('#sign-in-error').innerText()).toContain('incomplete');
    await cut.close();
  });
});
