import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestDirect } from '../../src/ingest/writer/direct.ts';
import { runJobsNow } from '../../src/jobs/run.ts';
import type { RunningServer } from '../../src/server.ts';
import { createSite } from '../../src/sites/sites.ts';
import { createToken } from '../../src/sites/tokens.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startTestServer } from '../helpers/server.ts';
import { CHROMIUM_ARGS, chromiumPath } from './chromium.ts';
import { expectNoProblems, expectXssInert, fragment, openView, screenshots, waitForView, XSS_PROBE } from './dashboard-harness.ts';

/**
 * The errors view in Chromium against the API (contract §4.4): the grouped list shows the API's
 * numbers for the same range; a read-only sign-in sees the status buttons disabled with the
 * reason; an admin resolves from the page and PostgreSQL has it resolved, then reopens it.
 */
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FILE = 'https://shop.example/assets/cart.js';
const STACK = `TypeError: Cannot read properties of undefined (reading 'price')\n    at Cart.total (${FILE}:41:9)\n    at HTMLButtonElement.onclick (https://shop.example/:1:1)`;

interface Group { id: string; message: string; regressed: boolean; count: number; visitors: number; sessions: number; first_seen: string; last_seen: string; stack: string | null; status: string }

describe.skipIf(!chromiumPath)('errors view in Chromium', () => {
  let db: TestDatabase;
  let tally: RunningServer;
  let browser: Browser;
  let site: { id: string; token: string };
  let readToken: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    tally = await startTestServer(db.url);
    site = await createSite(db.pool, { name: 'Errors shop', domain: 'shop.example', timezone: 'Europe/Paris' });
    readToken = await createToken(db.pool, site.id, 'read', 'errors view');
    const now = Date.now();
    const error = (vid: string, minutesAgo: number, extra: Record<string, unknown>) =>
      ({ type: 'error', vid, ts: now - minutesAgo * 60_000, ua: UA, ip: '8.8.8.8', url: 'https://shop.example/cart', ...extra });
    const cart = { kind: 'TypeError', message: "Cannot read properties of undefined (reading 'price')", stack: STACK, file: FILE, line: 41, col: 9 };
    const events = [
      error('a', 300, cart), error('a', 200, cart), error('b', 100, cart),
      error('c', 50, { kind: 'Error', message: XSS_PROBE }),
    ];
    expect((await ingestDirect(db.pool, { siteId: site.id, events })).accepted).toBe(events.length);
    const jobs = () => runJobsNow({ pool: tally.deps.pool, config: tally.deps.config, logger: tally.deps.logger }, 'all');
    await jobs();
    // The probe's group is resolved, then happens again a minute later: open again, regressed.
    const { rows } = await db.pool.query<{ id: string }>('SELECT id::text AS id FROM error_groups WHERE site_id = $1::bigint AND message = $2::text', [site.id, XSS_PROBE]);
    const patched = await fetch(`${tally.url}/api/v1/sites/${site.id}/errors/${rows[0]!.id}`, {
      method: 'PATCH', headers: { authorization: `Bearer ${site.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ status: 'resolved' }),
    });
    expect(patched.status).toBe(200);
    const again = [error('d', -1, { kind: 'Error', message: XSS_PROBE })];
    expect((await ingestDirect(db.pool, { siteId: site.id, events: again })).accepted).toBe(1);
    await jobs();
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await tally?.close();
    await db?.drop();
  });

  async function apiErrors(query: string): Promise<Group[]> {
    const res = await fetch(`${tally.url}/api/v1/sites/${site.id}/errors?${query}`, { headers: { authorization: `Bearer ${readToken}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { errors: Group[] }).errors;
  }

  const statusInDb = async (id: string) =>
    (await db.pool.query<{ status: string }>('SELECT status FROM error_groups WHERE site_id = $1::bigint AND id = $2::bigint', [site.id, id])).rows[0]?.status;

  it('lists the API’s groups and numbers; a read-only sign-in sees the buttons disabled with the reason; the probe stays text', async () => {
    const v = await openView(browser, tally.url, readToken, '#view=errors&period=7d');
    const hash = await fragment(v.page);
    const groups = await apiErrors(`from=${hash.get('from')}&to=${hash.get('to')}&status=open&limit=200`);
    expect(groups.map((g) => [g.count, g.regressed])).toEqual([[3, false], [2, true]]);
    const rows = v.page.locator('table.errors tbody tr');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.errorId))).toEqual(groups.map((g) => g.id));
    for (const [i, g] of groups.entries()) {
      const row = rows.nth(i);
      expect(await row.locator('.error-text').innerText()).toBe(g.message);
      expect(await row.locator('.badge.regressed').count()).toBe(g.regressed ? 1 : 0);
      expect(await row.locator('[data-col=count]').innerText()).toBe(String(g.count));
      expect(await row.locator('[data-col=visitors]').innerText()).toBe(String(g.visitors));
      expect(await row.locator('[data-col=sessions]').innerText()).toBe(String(g.sessions));
      expect(await row.locator('[data-col=first_seen]').innerText()).toBe(`${g.first_seen.slice(0, 10)} ${g.first_seen.slice(11, 16)}`);
      expect(await row.locator('[data-col=last_seen]').innerText()).toBe(`${g.last_seen.slice(0, 10)} ${g.last_seen.slice(11, 16)}`);
    }
    // The sample stack, exactly, behind its <details>.
    await rows.first().locator('details.stack summary').click();
    expect(await rows.first().locator('details.stack pre').innerText()).toBe(groups[0]!.stack);
    // Read-only: every button disabled, the reason on the page and on each button.
    const buttons = v.page.locator('table.errors button');
    expect(await buttons.count()).toBe(4);
    for (const b of await buttons.all()) {
      expect(await b.isDisabled()).toBe(true);
      expect(await b.getAttribute('title')).toContain('needs a token with write or admin scope');
    }
    expect(await v.page.locator('#errors-read-only').innerText()).toContain('this sign-in is read-only');
    // The chart's numbers are in its table.
    expect(await v.page.locator('[data-panel=errors-chart] tbody td').first().textContent()).toBe('3'); // inside the closed <details>
    await expectXssInert(v.page, v.problems);
    const shots = await screenshots(v.page, 'errors');
    expect(shots.overflowing).toEqual([]);
    expectNoProblems(v.problems);
    await v.close();
  });

  it('an admin resolves a group from the page (PostgreSQL has it resolved), finds it under resolved, and reopens it', async () => {
    const v = await openView(browser, tally.url, site.token, '#view=errors&period=7d');
    const row = v.page.locator('table.errors tbody tr').first();
    const id = (await row.getAttribute('data-error-id'))!;
    expect(await statusInDb(id)).toBe('open');
    await row.getByRole('button', { name: 'Resolve' }).click();
    await v.page.locator(`table.errors tr[data-error-id="${id}"]`).waitFor({ state: 'detached' });
    expect(await statusInDb(id)).toBe('resolved');

    await v.page.locator('#error-status').selectOption('resolved');
    await waitForView(v.page, 'errors');
    expect((await fragment(v.page)).get('status')).toBe('resolved');
    const resolved = v.page.locator(`table.errors tr[data-error-id="${id}"]`);
    await resolved.waitFor();
    expect(await resolved.getAttribute('data-status')).toBe('resolved');
    await resolved.getByRole('button', { name: 'Reopen' }).click();
    await resolved.waitFor({ state: 'detached' });
    expect(await statusInDb(id)).toBe('open');
    expect(await v.page.locator('[data-panel=errors] .state.empty').innerText()).toBe('No resolved errors in this range');
    expectNoProblems(v.problems);
    await v.close();
  });
});
