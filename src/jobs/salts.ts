import { randomBytes } from 'node:crypto';
import { saltQuery, utcDay } from '../ingest/enrich/visitor.ts';
import type { JobDefinition } from './types.ts';

/**
 * Visitor-id salts: makes sure today's and tomorrow's exist, and destroys every salt older than
 * yesterday (kept two days: today's and yesterday's, for late beacons). Once a salt is gone no
 * stored visitor id can be linked to an IP + user agent again.
 */
export const saltJob: JobDefinition = {
  name: 'salts',
  description: "create today's and tomorrow's visitor-id salts; destroy salts older than two days",
  intervalSeconds: 900,
  async run({ pool }) {
    const now = Date.now();
    await pool.query(saltQuery(utcDay(now), randomBytes(32)));
    await pool.query(saltQuery(utcDay(now + 86_400_000), randomBytes(32)));
    const r = await pool.query({ text: 'DELETE FROM visitor_salts WHERE day < $1::date', values: [utcDay(now - 86_400_000)] });
    return { rows: r.rowCount ?? 0 };
  },
};

/** How long idempotency keys are kept: retries and spool replays happen well within a week. */
export const DEDUP_KEEP_DAYS = 7;
/** Session state of visitors idle this long is dropped (longer than the 72 h late-beacon window). */
export const SESSION_STATE_KEEP_DAYS = 4;

/** Deletes expired idempotency keys and idle per-visitor session state, in bounded chunks. */
export const dedupCleanupJob: JobDefinition = {
  name: 'dedup-cleanup',
  description: `delete idempotency keys older than ${DEDUP_KEEP_DAYS} days and visitor session state idle ${SESSION_STATE_KEEP_DAYS} days`,
  intervalSeconds: 3600,
  async run({ pool, signal }) {
    let rows = 0;
    const chunks: [string, string][] = [
      ['ingest_dedup', `received_at < now() - make_interval(days => ${DEDUP_KEEP_DAYS})`],
      ['visitor_sessions', `last_seen < now() - make_interval(days => ${SESSION_STATE_KEEP_DAYS})`],
    ];
    for (const [table, condition] of chunks) {
      // 50k rows per statement keeps each transaction short and WAL bursts small.
      while (!signal.aborted) {
        const r = await pool.query(`DELETE FROM ${table} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${table} WHERE ${condition} LIMIT 50000))`);
        rows += r.rowCount ?? 0;
        if ((r.rowCount ?? 0) < 50_000) break;
      }
    }
    return { rows };
  },
};
