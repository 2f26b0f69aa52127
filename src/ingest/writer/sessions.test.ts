import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { mulberry32 } from '../../demo/prng.ts';
import { createSite } from '../../sites/sites.ts';
import { uuidv7 } from '../enrich/event-id.ts';
import { advance, SESSION_GAP_MS } from './sessions.ts';
import type { PreparedEvent } from '../tables.ts';
import { PartitionCache, writeTransaction } from './write.ts';

let db: TestDatabase;
let siteId: string;
beforeAll(async () => {
  db = await createTestDatabase();
  siteId = (await createSite(db.pool, { name: 'Sessions', domain: 'shop.example' })).id;
});
afterAll(async () => db?.drop());

const pageview = (visitorId: string, ts: number, sid: string | null = null): PreparedEvent => ({
  table: 'pageviews',
  siteId,
  eventId: uuidv7(ts),
  ts,
  receivedAt: Date.now(),
  visitorId,
  sid,
  rows: [[null, 'https://shop.example/', 'shop.example', '/', null, null, null, 'direct', null, null, null, null, null, null, null, null, null, null, null, 'desktop', null, null, null, null, null, null]],
});

/**
 * The rule as stated (sessions.ts `advance`), applied batch after batch with no database: each
 * batch's events that were never stored before, per visitor in time order, from the state the
 * previous batches left.
 */
function bruteForce(batches: PreparedEvent[][]): { sessions: Map<string, string>; states: Map<string, { sessionId: string; lastSeen: number }> } {
  const sessions = new Map<string, string>();
  const states = new Map<string, { sessionId: string; lastSeen: number }>();
  for (const batch of batches) {
    const fresh = batch.filter((e) => !sessions.has(e.eventId) && !e.sid);
    for (const e of batch) if (e.sid && !sessions.has(e.eventId)) sessions.set(e.eventId, e.sid);
    const seen = new Set<string>();
    for (const e of [...fresh].sort((a, b) => a.ts - b.ts)) {
      if (seen.has(e.eventId)) continue; // the same id twice in one batch: the first one wins
      seen.add(e.eventId);
      const step = advance(states.get(e.visitorId), siteId, e.visitorId, e.ts);
      sessions.set(e.eventId, step.sessionId);
      if (step.state) states.set(e.visitorId, step.state);
    }
  }
  return { sessions, states };
}

describe('session states in the write transaction', () => {
  it('match the rule applied event by event, with late events, gaps inside batches, retries and client sids', async () => {
    const rand = mulberry32(11);
    const t0 = Date.UTC(2026, 10, 2, 8);
    const visitors = Array.from({ length: 40 }, (_, i) => `sv${i}`);
    // Per visitor, a timeline with gaps on both sides of 30 minutes.
    const clock = new Map(visitors.map((v) => [v, t0 + Math.floor(rand() * 3_600_000)]));
    const all: PreparedEvent[] = [];
    const batches: PreparedEvent[][] = [];
    for (let b = 0; b < 60; b++) {
      const batch: PreparedEvent[] = [];
      for (let k = 0, n = 1 + Math.floor(rand() * 25); k < n; k++) {
        const v = visitors[Math.floor(rand() * visitors.length)]!;
        const r = rand();
        let ts: number;
        if (r < 0.12) ts = clock.get(v)! - Math.floor(rand() * 2 * SESSION_GAP_MS); // late, sometimes very late
        else {
          const gap = r < 0.3 ? SESSION_GAP_MS + 1 + Math.floor(rand() * 3_600_000) : r < 0.33 ? SESSION_GAP_MS : Math.floor(rand() * 600_000);
          ts = clock.get(v)! + gap;
          clock.set(v, ts);
        }
        const e = pageview(v, ts, rand() < 0.05 ? 'client-sid' : null);
        batch.push(e);
        all.push(e);
      }
      // Retries: events of earlier batches sent again, and one event twice in this batch.
      if (b > 3 && rand() < 0.4) for (let k = 0; k < 3; k++) batch.push(all[Math.floor(rand() * all.length)]!);
      if (rand() < 0.2) batch.push(batch[0]!);
      batches.push(batch);
    }
    const partitions = new PartitionCache();
    for (const batch of batches) await writeTransaction(db.pool, partitions, batch);

    const want = bruteForce(batches);
    const stored = await db.pool.query<{ id: string; sid: string }>({
      text: 'SELECT event_id::text AS id, session_id AS sid FROM pageviews WHERE site_id = $1::bigint',
      values: [siteId],
    });
    expect(stored.rows).toHaveLength(new Set(all.map((e) => e.eventId)).size);
    expect(new Map(stored.rows.map((r) => [r.id, r.sid]))).toEqual(want.sessions);
    const states = await db.pool.query<{ v: string; sid: string; seen: string }>({
      text: `SELECT visitor_id AS v, session_id AS sid, (extract(epoch FROM last_seen) * 1000)::bigint::text AS seen
             FROM visitor_sessions WHERE site_id = $1::bigint`,
      values: [siteId],
    });
    expect(new Map(states.rows.map((r) => [r.v, { sessionId: r.sid, lastSeen: Number(r.seen) }]))).toEqual(want.states);
  });

  it('lets two transactions that insert the same new visitor both commit (the later one retries)', async () => {
    const partitions = new PartitionCache();
    const t0 = Date.now() - 3_600_000;
    for (let round = 0; round < 20; round++) {
      const v = `race-${round}`;
      const a = Array.from({ length: 30 }, (_, i) => pageview(v, t0 + i * 1000));
      const b = Array.from({ length: 30 }, (_, i) => pageview(v, t0 + 500 + i * 1000));
      const results = await Promise.all([writeTransaction(db.pool, partitions, a), writeTransaction(db.pool, partitions, b)]);
      expect(results.map((r) => r.inserted)).toEqual([30, 30]);
      const sessions = await db.pool.query({ text: 'SELECT DISTINCT session_id FROM pageviews WHERE site_id = $1::bigint AND visitor_id = $2::text', values: [siteId, v] });
      expect(sessions.rows).toHaveLength(1);
    }
  });
});
