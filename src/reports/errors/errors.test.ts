import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { loadConfig } from '../../config.ts';
import { createApp } from '../../http/app.ts';
import { ingestDirect } from '../../ingest/writer/direct.ts';
import { createLogger } from '../../log.ts';
import { createSite } from '../../sites/sites.ts';
import { createToken } from '../../sites/tokens.ts';
import { runErrorGroupRollup } from './groups-rollup.ts';
import type { ErrorGroup } from './report.ts';

/**
 * Error issues (contract §4.4) end to end: beacons through ingestDirect (validation, enrichment,
 * the fingerprint, COPY), the error-groups job, then GET/PATCH through the app, each number held
 * against a brute force over the generated beacons.
 */
let db: TestDatabase;
let app: ReturnType<typeof createApp>;
let site: { id: string; token: string };
let other: { id: string; token: string };
let readToken: string;
let writeToken: string;

const UA = {
  Chrome: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  Firefox: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0',
  Safari: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
} as const;
type Browser = keyof typeof UA;

/** An occurrence as sent, with what the brute force expects of it. */
interface Sent {
  group: string;
  ts: number;
  vid: string;
  sid: string;
  browser: Browser;
  message: string;
  file: string | null;
  line: number | null;
  event: Record<string, unknown>;
}

// One message thrown from `addToCart` in three browsers' stack forms (V8 in Chrome, Gecko in
// Firefox, WebKit in Safari) with different numbers and quoted values → one group; Firefox's own
// wording of the same bug → another; a stackless ReferenceError (file from the beacon) → a third.
function occurrence(i: number, ts: number, pick: number): Sent {
  const browser = (['Chrome', 'Firefox', 'Safari'] as const)[pick % 3]!;
  const vid = `v${(i * 7) % 13}`;
  const sid = `${vid}-s${i % 3}`;
  const common = { type: 'error', ts, vid, sid, ua: UA[browser], url: `https://shop.test/products/p${i % 4}?x=${i}` };
  const kind = pick % 5;
  if (kind <= 2) {
    const message = `Cannot read properties of undefined (reading 'sku${i}') at item ${i * 3}`;
    const line = 40 + (i % 7);
    const file = 'https://shop.test/assets/cart.js';
    const stack = browser === 'Chrome'
      ? `TypeError: ${message}\n    at Cart.addToCart (${file}?v=${i}:${line}:9)\n    at HTMLButtonElement.onclick (https://shop.test/:1:1)`
      : `addToCart@${file}:${line}:9\n@https://shop.test/:1:1`;
    return { group: 'A', ts, vid, sid, browser, message, file, line, event: { ...common, kind: 'TypeError', message, stack, file: `${file}?v=${i}`, line: 1 } };
  }
  if (kind === 3) {
    const message = `item.sku is undefined (id ${i})`;
    const stack = `addToCart@https://shop.test/assets/cart.js:${41 + (i % 3)}:3`;
    return { group: 'B', ts, vid, sid, browser: 'Firefox', message, file: 'https://shop.test/assets/cart.js', line: 41 + (i % 3),
      event: { ...common, ua: UA.Firefox, kind: 'TypeError', message, stack } };
  }
  const message = 'gtag is not defined';
  return { group: 'C', ts, vid, sid, browser, message, file: 'https://shop.test/assets/app.js', line: 12,
    event: { ...common, kind: 'ReferenceError', message, file: 'https://shop.test/assets/app.js', line: 12 } };
}

// from=2026-10-30, to=2026-11-02 in America/New_York spans the end of DST (2026-11-01):
// [2026-10-30T04:00Z, 2026-11-03T05:00Z), written out here rather than computed by the code under test.
const RANGE = { from: '2026-10-30', to: '2026-11-02', tz: 'America/New_York' };
const START = Date.parse('2026-10-30T04:00:00Z');
const END = Date.parse('2026-11-03T05:00:00Z');
const HOUR = 3_600_000;

function generate(): Sent[] {
  const out: Sent[] = [];
  let seed = 7;
  const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  // 300 occurrences from 3 days before the range to 3 days after it, plus its edges exactly.
  for (let i = 0; i < 300; i++) out.push(occurrence(i, Math.floor(START - 72 * HOUR + rand() * (END - START + 144 * HOUR)), Math.floor(rand() * 1000)));
  [START - 1, START, END - 1, END].forEach((ts, k) => out.push(occurrence(300 + k, ts, k)));
  return out;
}

/** The brute force: §4.4 over the sent occurrences, for groups with an occurrence in [start, end). */
function expected(sent: Sent[], start: number, end: number) {
  const groups = new Map<string, Sent[]>();
  for (const s of sent) groups.set(s.group, [...(groups.get(s.group) ?? []), s]);
  const out = [];
  for (const [group, all] of groups) {
    const inRange = all.filter((s) => s.ts >= start && s.ts < end);
    if (!inRange.length) continue;
    const latest = all.reduce((a, b) => (b.ts > a.ts ? b : a));
    const browsers = new Map<string, number>();
    for (const s of inRange) browsers.set(s.browser, (browsers.get(s.browser) ?? 0) + 1);
    out.push({
      group, count: inRange.length, visitors: new Set(inRange.map((s) => s.vid)).size, sessions: new Set(inRange.map((s) => s.sid)).size,
      first_seen: Math.min(...all.map((s) => s.ts)), last_seen: latest.ts, message: latest.message, file: latest.file, line: latest.line,
      browsers: [...browsers].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key)),
    });
  }
  return out.sort((a, b) => b.count - a.count || b.last_seen - a.last_seen);
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const list = async (query: string, token = readToken, siteId = site.id) =>
  app.request(`/api/v1/sites/${siteId}/errors?${query}`, { headers: auth(token) });
const patch = (id: string, body: unknown, token = writeToken, siteId = site.id) =>
  app.request(`/api/v1/sites/${siteId}/errors/${id}`, { method: 'PATCH', headers: { ...auth(token), 'content-type': 'application/json' }, body: JSON.stringify(body) });
const groupsOf = async (query: string) => ((await (await list(query)).json()) as { errors: ErrorGroup[] }).errors;
const send = async (siteId: string, events: Sent[]) => {
  const r = await ingestDirect(db.pool, { siteId, events: events.map((s) => s.event) });
  expect(r.rejected).toEqual([]);
};

let sent: Sent[];
beforeAll(async () => {
  db = await createTestDatabase();
  app = createApp({ config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent'), registry: new Registry() });
  const s = await createSite(db.pool, { name: 'errors', domain: 'shop.test', timezone: 'Europe/Paris' });
  site = { id: s.id, token: s.token };
  const o = await createSite(db.pool, { name: 'other', domain: 'other.test' });
  other = { id: o.id, token: o.token };
  readToken = await createToken(db.pool, s.id, 'read', 'test');
  writeToken = await createToken(db.pool, s.id, 'write', 'test');
  sent = generate();
  await send(site.id, sent);
  await send(other.id, sent.slice(0, 20)); // same fingerprints on another site: its own groups
  // Two runs, the second with nothing new: folding is by watermark, never twice.
  await runErrorGroupRollup(db.pool, { maxRows: 50 });
  await runErrorGroupRollup(db.pool);
});
afterAll(async () => db?.drop());

describe('GET /errors against the brute force', () => {
  it('groups one error across browsers and stack forms, splits other wordings, counts the range exactly', async () => {
    const groups = await groupsOf(new URLSearchParams(RANGE).toString());
    const want = expected(sent, START, END);
    expect(groups).toHaveLength(3);
    expect(groups.map((g) => ({
      count: g.count, visitors: g.visitors, sessions: g.sessions, message: g.message, file: g.file, line: g.line, browsers: g.browsers,
      first_seen: Date.parse(g.first_seen), last_seen: Date.parse(g.last_seen),
    }))).toEqual(want.map(({ group: _group, ...w }) => ({ ...w, first_seen: Math.floor(w.first_seen / 1000) * 1000, last_seen: Math.floor(w.last_seen / 1000) * 1000 })));
    const a = groups.find((g) => g.message.startsWith('Cannot read'))!;
    expect(a.browsers.map((b) => b.key).sort()).toEqual(['Chrome', 'Firefox', 'Safari']);
    expect(a).toMatchObject({ kind: 'TypeError', status: 'open', regressed: false });
    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(a.stack).toContain('addToCart');
    expect(a.first_seen).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-0[45]:00$/); // in the requested zone
  });

  it('lists only groups with an occurrence in the range; other ranges and zones agree with the brute force', async () => {
    for (const [from, to, tz, start, end] of [
      ['2026-10-27', '2026-10-27', 'UTC', Date.parse('2026-10-27T00:00:00Z'), Date.parse('2026-10-28T00:00:00Z')],
      ['2026-11-01', '2026-11-01', 'America/New_York', Date.parse('2026-11-01T04:00:00Z'), Date.parse('2026-11-02T05:00:00Z')],
      ['2026-11-02', '2026-11-02', 'Asia/Kathmandu', Date.parse('2026-11-01T18:15:00Z'), Date.parse('2026-11-02T18:15:00Z')],
      ['2027-01-01', '2027-01-02', 'UTC', Date.parse('2027-01-01T00:00:00Z'), Date.parse('2027-01-03T00:00:00Z')],
    ] as const) {
      const groups = await groupsOf(new URLSearchParams({ from, to, tz }).toString());
      expect(groups.map((g) => [g.count, g.visitors, g.sessions]), `${from}..${to} ${tz}`)
        .toEqual(expected(sent, start, end).map((w) => [w.count, w.visitors, w.sessions]));
    }
  });

  it('keeps sites apart: the other site has its own groups, and a token of one site gets 404 on the other', async () => {
    const theirs = ((await (await list(new URLSearchParams(RANGE).toString(), other.token, other.id)).json()) as { errors: ErrorGroup[] }).errors;
    expect(theirs.reduce((n, g) => n + g.count, 0)).toBe(sent.slice(0, 20).filter((s) => s.ts >= START && s.ts < END).length);
    expect((await list('', other.token)).status).toBe(404);
    expect((await patch(theirs[0]!.id, { status: 'resolved' }, writeToken, other.id)).status).toBe(404);
    expect((await patch(theirs[0]!.id, { status: 'resolved' })).status).toBe(404); // their group id on our site
  });

  it('records each status change in the audit log with the acting token, in the same transaction', async () => {
    const [g] = await groupsOf(new URLSearchParams(RANGE).toString());
    const { rows: [token] } = await db.pool.query<{ id: string }>('SELECT id::text FROM api_tokens WHERE site_id = $1::bigint AND scope = $2::text', [site.id, 'write']);
    expect((await patch(g!.id, { status: 'ignored' })).status).toBe(200);
    expect((await patch(g!.id, { status: 'open' })).status).toBe(200);
    expect((await patch('999999', { status: 'open' })).status).toBe(404); // nothing changed, nothing recorded
    const { rows } = await db.pool.query('SELECT actor_token_id::text AS actor, action, target, detail FROM audit_log WHERE site_id = $1::bigint AND action = $2::text ORDER BY id', [site.id, 'error.status']);
    expect(rows.slice(-2)).toEqual([
      { actor: token!.id, action: 'error.status', target: g!.id, detail: { status: 'ignored' } },
      { actor: token!.id, action: 'error.status', target: g!.id, detail: { status: 'open' } },
    ]);
  });

  it('answers 400 naming the bad parameter or field, 404 for an unknown id, 403 for a read token', async () => {
    for (const [query, name] of [['status=closed', 'status'], ['tz=Mars/Base', 'tz'], ['from=2026-13-01', 'from'], ['limit=0', 'limit']]) {
      const res = await list(query!);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(new RegExp(`^${name}:`));
    }
    const [g] = await groupsOf(new URLSearchParams(RANGE).toString());
    const bad = await patch(g!.id, { status: 'done' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^status:/);
    expect((await patch(g!.id, {})).status).toBe(400);
    expect((await patch(g!.id, { status: 'open', extra: 1 })).status).toBe(400);
    expect((await app.request(`/api/v1/sites/${site.id}/errors/${g!.id}`, { method: 'PATCH', headers: auth(writeToken), body: '{' })).status).toBe(400);
    expect((await patch('999999999', { status: 'resolved' })).status).toBe(404);
    expect((await patch('abc', { status: 'resolved' })).status).toBe(404);
    expect((await patch(g!.id, { status: 'resolved' }, readToken)).status).toBe(403);
  });
});

describe('status: resolve, regress, ignore', () => {
  it('a resolved group reopens as regressed only on an occurrence later than its resolution; an ignored one stays ignored', async () => {
    const now = Date.now();
    const recent = [occurrence(1000, now - 2 * HOUR, 0), occurrence(1001, now - 2 * HOUR, 3), occurrence(1002, now - 2 * HOUR, 4)];
    await send(site.id, recent);
    await runErrorGroupRollup(db.pool);
    // Around now (the generated history is weeks old), in UTC.
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const around = `from=${day(now - 86_400_000)}&to=${day(now + 86_400_000)}&tz=UTC`;
    const today = await groupsOf(around);
    expect(today.map((g) => g.count)).toEqual([1, 1, 1]);
    const byGroup = (g: string) => today.find((x) => x.message === recent.find((r) => r.group === g)!.message)!;
    const [a, b, c] = [byGroup('A'), byGroup('B'), byGroup('C')];

    const resolved = await patch(a.id, { status: 'resolved' });
    expect(resolved.status).toBe(200);
    expect(await resolved.json()).toMatchObject({ id: a.id, status: 'resolved', regressed: false });
    expect((await patch(b.id, { status: 'ignored' })).status).toBe(200);
    expect((await groupsOf(around)).map((g) => g.id)).toEqual([c.id]); // default status=open
    expect((await groupsOf(`${around}&status=resolved`)).map((g) => g.id)).toEqual([a.id]);

    // An occurrence dated before the resolution (a late beacon) does not reopen it …
    await send(site.id, [occurrence(1003, now - HOUR, 0)]);
    await runErrorGroupRollup(db.pool);
    expect((await groupsOf(`${around}&status=resolved`))[0]).toMatchObject({ id: a.id, status: 'resolved', count: 2 });
    // … one dated after it does; the ignored group keeps its status and still counts.
    await send(site.id, [occurrence(1004, Date.now() + 1_000, 0), occurrence(1005, Date.now() + 1_000, 3)]);
    await runErrorGroupRollup(db.pool);
    const open = await groupsOf(around);
    expect(open.find((g) => g.id === a.id)).toMatchObject({ status: 'open', regressed: true, count: 3 });
    expect(await groupsOf(`${around}&status=ignored`)).toMatchObject([{ id: b.id, status: 'ignored', regressed: false, count: 2 }]);

    // Reopening by hand clears regressed.
    expect(await (await patch(a.id, { status: 'open' })).json()).toMatchObject({ status: 'open', regressed: false });
  });
});

describe('OpenAPI', () => {
  it('/openapi.json documents GET /errors and PATCH /errors/{id}', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(doc.paths['/api/v1/sites/{siteId}/errors']?.get).toBeDefined();
    expect(doc.paths['/api/v1/sites/{siteId}/errors/{id}']?.patch).toBeDefined();
  });
});
