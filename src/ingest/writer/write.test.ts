import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { mulberry32 } from '../../demo/prng.ts';
import { createSite } from '../../sites/sites.ts';
import { copyField } from './copy.ts';
import { uuidv7 } from '../enrich/event-id.ts';
import type { Cell, PreparedEvent } from '../tables.ts';
import { eventsCopyData, PartitionCache, writeTransaction } from './write.ts';

let db: TestDatabase;
let siteId: string;
beforeAll(async () => {
  db = await createTestDatabase();
  siteId = (await createSite(db.pool, { name: 'Copy data', domain: 'shop.example' })).id;
});
afterAll(async () => db?.drop());

/** Strings that stress the encoding: escapes, multi-byte and astral characters, long values. */
const NASTY = ['plain', 'tab\there', 'line\nbreak\r\n', 'back\\slash', 'Shop – page', 'ünïcødé', '商品ページ', '😀 emoji 🛒', '\\N', ''];

function errorEvent(message: string, stack: string, ts = Date.now()): PreparedEvent {
  return {
    table: 'errors',
    siteId,
    eventId: uuidv7(ts),
    ts,
    receivedAt: ts,
    visitorId: 'v-😀',
    sid: 's1',
    rows: [['https://shop.example/ü', 'shop.example', '/ü', 'fp', 'TypeError', message, stack, null, 12, 3, false, 'Chrome', '131', 'Linux', 'desktop']],
  };
}

/** The plain way: one string for the whole batch, encoded once. */
function reference(events: readonly PreparedEvent[], sessions: Map<PreparedEvent, string>): Buffer {
  let text = '';
  for (const e of events) {
    const common = [e.siteId, new Date(e.ts).toISOString(), new Date(e.receivedAt).toISOString(), e.eventId, e.visitorId, sessions.get(e)!];
    for (const row of e.rows) text += [...common, ...row].map((v) => copyField(v as Cell)).join('\t') + '\n';
  }
  return Buffer.from(text, 'utf8');
}

describe('eventsCopyData', () => {
  it('encodes exactly what one concatenated string would, growing its buffer past the first estimate', () => {
    const rand = mulberry32(7);
    const pick = () => NASTY[Math.floor(rand() * NASTY.length)]!;
    for (const count of [1, 3, 40]) {
      const events = Array.from({ length: count }, (_, i) =>
        // Every 7th event carries a ~100 KB stack: far past the 512 bytes per event first allocated.
        errorEvent(pick() + pick(), i % 7 === 0 ? pick().repeat(20_000) : pick()),
      );
      const sessions = new Map(events.map((e, i) => [e, `sess-${i}-${pick()}`]));
      expect(eventsCopyData(events, sessions).equals(reference(events, sessions))).toBe(true);
    }
  });

  it('round-trips every string through PostgreSQL unchanged', async () => {
    const events = NASTY.map((s, i) => errorEvent(`${s} #${i}`, s.repeat(i === 7 ? 30_000 : 3)));
    const result = await writeTransaction(db.pool, new PartitionCache(), events);
    expect(result.inserted).toBe(events.length);
    const stored = await db.pool.query<{ message: string; stack: string; visitorId: string }>({
      text: `SELECT message, stack, visitor_id AS "visitorId" FROM errors WHERE site_id = $1::bigint ORDER BY ingest_seq`,
      values: [siteId],
    });
    expect(stored.rows).toEqual(events.map((e) => ({ message: e.rows[0]![5], stack: e.rows[0]![6], visitorId: 'v-😀' })));
  });
});

describe('idempotency keys', () => {
  it('dates a key by when it was stored, so a late replay keeps its key for the full period', async () => {
    const threeDaysAgo = Date.now() - 3 * 86_400_000;
    const replayed = errorEvent('replayed from the spool', 'x', threeDaysAgo);
    await writeTransaction(db.pool, new PartitionCache(), [replayed]);
    const key = await db.pool.query<{ age: number }>({
      text: `SELECT extract(epoch FROM now() - received_at)::float8 AS age FROM ingest_dedup WHERE site_id = $1::bigint AND event_id = $2::uuid`,
      values: [siteId, replayed.eventId],
    });
    expect(key.rows[0]!.age).toBeLessThan(60);
  });
});
