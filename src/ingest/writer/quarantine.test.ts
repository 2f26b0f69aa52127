import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { createSite } from '../../sites/sites.ts';
import { prepareEvent } from '../enrich/prepare.ts';
import type { PreparedEvent } from '../tables.ts';
import { validateEvent } from '../validate/validate.ts';
import { listQuarantine, retryQuarantine } from './quarantine.ts';
import { QUARANTINE_FILE } from './spool.ts';

const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
let db: TestDatabase;
let siteId: string;
let key: string;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const site = await createSite(db.pool, { name: 'q', domain: 'shop.example' });
  siteId = site.id;
  key = site.publicKey;
  dir = mkdtempSync(join(tmpdir(), 'tally-quarantine-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await db?.drop();
});

function pageview(path: string): PreparedEvent {
  const v = validateEvent({ site: key, type: 'pageview', url: `https://shop.example${path}` });
  if (!v.ok) throw new Error(v.error);
  const p = prepareEvent(v.event, { siteId, visitorIdMode: 'auto', ip: null, ua: UA, receivedAt: Date.now(), salt: Buffer.alloc(32) });
  if (p.bot) throw new Error('bot');
  return p.prepared;
}
const quarantine = (event: PreparedEvent, error: string) =>
  appendFileSync(join(dir, QUARANTINE_FILE), `${JSON.stringify({ rejectedAt: new Date().toISOString(), error, event })}\n`);
const stored = async (prefix: string) =>
  (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pageviews WHERE path LIKE $1::text`, [`${prefix}%`])).rows[0]!.n;

describe('spool quarantine (tally spool list|retry)', () => {
  it('lists quarantined events; a retry stores the ones PostgreSQL now takes and keeps the others with the new reason', async () => {
    const fixed = pageview('/q/fixed');
    const poison = pageview('/q/poison');
    poison.rows[0]![23] = 'not-a-number'; // screen_w is an integer: refused again
    quarantine(fixed, 'value too long (before a migration widened the column)');
    quarantine(poison, 'invalid input syntax for type integer');
    appendFileSync(join(dir, QUARANTINE_FILE), '{"torn":'); // a crash mid-append leaves a partial line

    expect((await listQuarantine(dir)).map((r) => r.event.eventId)).toEqual([fixed.eventId, poison.eventId]);

    expect(await retryQuarantine(db.pool, dir)).toEqual({ retried: 2, stored: 1, stillRejected: 1 });
    expect(await stored('/q/fixed')).toBe(1);
    expect(await stored('/q/poison')).toBe(0);
    const left = await listQuarantine(dir);
    expect(left.map((r) => r.event.eventId)).toEqual([poison.eventId]);
    expect(left[0]!.error).toMatch(/integer/);
    expect(readdirSync(dir)).toEqual([QUARANTINE_FILE]);
  });

  it('a retried event already stored is not stored twice (dedup by event id)', async () => {
    const again = pageview('/q/twice');
    quarantine(again, 'x');
    await retryQuarantine(db.pool, dir);
    quarantine(again, 'x');
    expect((await retryQuarantine(db.pool, dir)).stored).toBeGreaterThanOrEqual(1);
    expect(await stored('/q/twice')).toBe(1);
  });

  it('an empty or missing quarantine lists nothing and retries nothing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tally-quarantine-empty-'));
    try {
      expect(await listQuarantine(empty)).toEqual([]);
      expect(await retryQuarantine(db.pool, empty)).toEqual({ retried: 0, stored: 0, stillRejected: 0 });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
