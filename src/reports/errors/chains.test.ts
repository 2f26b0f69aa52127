import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { ingestDirect } from '../../ingest/writer/direct.ts';
import { erasePerson } from '../../privacy/erase.ts';
import { createSite } from '../../sites/sites.ts';
import { localDateToUtc, addDays } from '../common/params.ts';
import { runErrorGroupRollup } from './groups-rollup.ts';
import { errorList } from './report.ts';

/**
 * The visitor and session chains of sql/074, which the error list counts distinct visitors and
 * sessions by (report.ts): repeat visitors and sessions over days, beacons sent out of time order
 * and folded in batches of 7 (so rows land before rows already linked), then an erasure — each
 * time held against a brute force over the sent occurrences, for ranges whose ends fall between a
 * visitor's occurrences, in zones other than the site's and across the end of DST.
 */
let db: TestDatabase;
let siteId: string;

interface Sent { ts: number; vid: string; sid: string; message: string }

const DAY = 86_400_000;
const T0 = Date.parse('2026-10-25T00:00:00Z');

function generate(): Sent[] {
  let seed = 11;
  const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const out: Sent[] = [];
  for (let i = 0; i < 260; i++) {
    const v = Math.floor(rand() * 9); // few visitors: long chains
    const s = Math.floor(rand() * 3); // a visitor's session ids repeat across days
    const message = rand() < 0.6 ? 'gtag is not defined' : `Cannot read properties of undefined (reading 'x${i}')`;
    out.push({ ts: T0 + Math.floor(rand() * 14 * DAY), vid: `v${v}`, sid: `v${v}-s${s}`, message });
  }
  // Two visitors share one session id: erasing one must leave the other's session chain exact.
  out.push({ ts: T0 + 3 * DAY, vid: 'v1', sid: 'shared', message: 'gtag is not defined' });
  out.push({ ts: T0 + 2 * DAY, vid: 'v2', sid: 'shared', message: 'gtag is not defined' });
  out.push({ ts: T0 + 4 * DAY, vid: 'v2', sid: 'shared', message: 'gtag is not defined' }); // its predecessor: v1's, erased
  out.push({ ts: T0 + 5 * DAY, vid: 'v1', sid: 'shared', message: 'gtag is not defined' });
  // Shuffled: ingest order is not time order.
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const beacon = (s: Sent) => ({
  type: 'error', ts: s.ts, vid: s.vid, sid: s.sid, url: 'https://chains.test/', kind: s.message.startsWith('gtag') ? 'ReferenceError' : 'TypeError',
  message: s.message, file: 'https://chains.test/app.js', line: 3,
});

/** Per group (by its normalized message's first word): occurrences, distinct visitors and sessions in [start, end). */
function brute(sent: Sent[], start: number, end: number): Record<string, [number, number, number]> {
  const out: Record<string, [number, number, number]> = {};
  for (const key of ['gtag', 'Cannot']) {
    const rows = sent.filter((s) => s.message.startsWith(key) && s.ts >= start && s.ts < end);
    if (rows.length) out[key] = [rows.length, new Set(rows.map((r) => r.vid)).size, new Set(rows.map((r) => r.sid)).size];
  }
  return out;
}

async function listed(start: Date, end: Date): Promise<Record<string, [number, number, number]>> {
  const groups = await errorList(db.pool, { siteId, start, end, status: null, limit: 100 }, 'UTC');
  return Object.fromEntries(groups.map((g) => [g.message.split(' ')[0]!, [g.count, g.visitors, g.sessions]]));
}

/** Ranges of local dates in several zones, 1 to 14 days long, starting on every day of the data. */
function ranges(): { from: string; to: string; tz: string; start: Date; end: Date }[] {
  const out = [];
  for (const tz of ['America/New_York', 'UTC', 'Asia/Kathmandu', 'Australia/Lord_Howe']) {
    for (let d = 0; d < 15; d += 2) {
      for (const len of [1, 3, 14]) {
        const from = addDays('2026-10-24', d);
        const to = addDays(from, len - 1);
        out.push({ from, to, tz, start: localDateToUtc(from, tz), end: localDateToUtc(addDays(to, 1), tz) });
      }
    }
  }
  return out;
}

async function expectAllRanges(sent: Sent[]) {
  for (const r of ranges()) {
    expect(await listed(r.start, r.end), `${r.from}..${r.to} ${r.tz}`).toEqual(brute(sent, r.start.getTime(), r.end.getTime()));
  }
  // Every stored link is its chain's predecessor, recomputed from scratch.
  const { rows } = await db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (
       SELECT prev_visitor_slot, prev_session_slot,
              lag(slot) OVER (PARTITION BY site_id, group_id, visitor_key ORDER BY slot, session_key) AS pv,
              lag(slot) OVER (PARTITION BY site_id, group_id, session_key ORDER BY slot, visitor_key) AS ps
       FROM error_group_visitors) x
     WHERE prev_visitor_slot IS DISTINCT FROM pv OR prev_session_slot IS DISTINCT FROM ps`,
  );
  expect(rows[0]!.n).toBe(0);
}

let sent: Sent[];
beforeAll(async () => {
  db = await createTestDatabase();
  siteId = (await createSite(db.pool, { name: 'chains', domain: 'chains.test', timezone: 'Europe/Paris' })).id;
  sent = generate();
  // Sent in three parts with a job run after each, in batches of 7 rows.
  for (const part of [sent.slice(0, 90), sent.slice(90, 180), sent.slice(180)]) {
    const r = await ingestDirect(db.pool, { siteId, events: part.map(beacon) });
    expect(r.rejected).toEqual([]);
    await runErrorGroupRollup(db.pool, { maxRows: 7 });
  }
});
afterAll(async () => db?.drop());

describe('error list visitors and sessions by chain links (sql/074)', () => {
  it('equal the brute force for every range, rows folded out of time order included', async () => {
    expect(ranges().length).toBeGreaterThan(90);
    await expectAllRanges(sent);
  });

  it('stay exact after an erasure (chains re-linked, a shared session id kept for the other visitor)', async () => {
    await erasePerson(db.pool, { siteId, visitorId: 'v1', actorTokenId: null });
    sent = sent.filter((s) => s.vid !== 'v1');
    await expectAllRanges(sent);
  });

  it('stay exact when late occurrences arrive after the erasure, before rows already linked', async () => {
    const late = [
      { ts: T0 + 1 * DAY + 5_000, vid: 'v2', sid: 'shared', message: 'gtag is not defined' },
      { ts: T0 + 6 * DAY, vid: 'v3', sid: 'v3-s0', message: 'gtag is not defined' },
      { ts: T0 - 1, vid: 'v4', sid: 'v4-s9', message: 'gtag is not defined' },
    ];
    const r = await ingestDirect(db.pool, { siteId, events: late.map(beacon) });
    expect(r.rejected).toEqual([]);
    await runErrorGroupRollup(db.pool);
    sent = [...sent, ...late];
    await expectAllRanges(sent);
  });
});
