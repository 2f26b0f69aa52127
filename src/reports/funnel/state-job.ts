import type pg from 'pg';
import { safeUpperBound } from '../common/watermark.ts';
import { BUCKET_US, recomputeAttemptsSql, SESSION_GAP_US } from './state-sql.ts';
import type { FunnelDefinition } from './schema.ts';

/**
 * The `funnel-state` job: keeps every saved funnel's attempts (sql/081) current.
 *
 * A funnel without state is built from all its site's history. After that each batch of new
 * raw rows (ingest_seq in (watermark, to], the shared sequence of pageviews and events) and each
 * changed order (updated_at past the funnel's orders_at) become change points (visitor, time);
 * only the attempts those can touch — starting in [t − window, t + 30 min], quarter-hour
 * aligned — are recomputed, from those visitors' activity in that span. So a late event
 * (an old occurred_at arriving now) recomputes its visitor around its own time, and a
 * re-sent order recomputes both the visitors it now links to and those it linked to before
 * (funnel_order_links), which covers a cancellation.
 *
 * One transaction per batch moves the watermark and every funnel's state together; an advisory
 * lock keeps two instances apart. orders_at lags now() by ORDERS_LAG_SECONDS because updated_at
 * is a transaction's start time and may commit later; orders inside the lag are read again next
 * run (recomputing is idempotent).
 */
export const FUNNEL_STATE_WATERMARK = 'funnel-state';
const ORDERS_LAG_SECONDS = 60;
const DEFAULT_MAX_ROWS = 2_000_000;
const PAID = `('paid', 'fulfilled', 'refunded')`;

export interface FunnelStateOutcome {
  skipped: boolean;
  batches: number;
  /** Raw rows read past the watermark. */
  rows: number;
  built: number;
  /** Visitors whose attempts were recomputed. */
  visitors: number;
  watermark: number;
}

interface FunnelRow extends FunnelDefinition {
  id: string;
  site_id: string;
  built: boolean;
  orders_at: Date;
}

const hasOrderStep = (d: FunnelDefinition) => d.steps.some((s) => s.type === 'order');

/** Links of paid orders (all, or those ids) to visitors: their visitor_id, or a visitor that sent their customer_id as uid. */
async function insertLinks(client: pg.PoolClient, f: FunnelRow, orderIds: string[] | null): Promise<void> {
  const only = orderIds ? 'AND o.id = ANY($3::text[])' : '';
  await client.query({
    text: `INSERT INTO funnel_order_links (site_id, funnel_id, order_id, visitor_id, at_us)
      WITH paid AS (
        SELECT o.id, o.visitor_id, o.customer_id, (extract(epoch FROM o.created_at) * 1000000)::bigint AS at_us
        FROM orders o WHERE o.site_id = $1::bigint AND o.status IN ${PAID} ${only}
      ), uids AS (
        SELECT user_id, visitor_id FROM pageviews WHERE site_id = $1::bigint AND user_id IN (SELECT customer_id FROM paid)
        UNION SELECT user_id, visitor_id FROM events WHERE site_id = $1::bigint AND user_id IN (SELECT customer_id FROM paid)
      )
      SELECT $1::bigint, $2::bigint, id, visitor_id, at_us FROM paid WHERE visitor_id IS NOT NULL
      UNION SELECT $1::bigint, $2::bigint, p.id, u.visitor_id, p.at_us FROM paid p JOIN uids u ON u.user_id = p.customer_id
      ON CONFLICT DO NOTHING`,
    values: orderIds ? [f.site_id, f.id, orderIds] : [f.site_id, f.id],
  });
}

async function build(client: pg.PoolClient, f: FunnelRow): Promise<void> {
  await client.query({ text: 'DELETE FROM funnel_order_links WHERE site_id = $1::bigint AND funnel_id = $2::bigint', values: [f.site_id, f.id] });
  if (hasOrderStep(f)) await insertLinks(client, f, null);
  await client.query(recomputeAttemptsSql({ siteId: f.site_id, funnelId: f.id, definition: f }));
  // the report's plan depends on it (unanalyzed, the planner took the visitor index for a
  // whole-range read: 650 ms instead of a range scan)
  await client.query('ANALYZE funnel_attempts');
  await client.query({
    text: `INSERT INTO funnel_state (site_id, funnel_id, orders_at) VALUES ($1::bigint, $2::bigint, now() - make_interval(secs => ${ORDERS_LAG_SECONDS}))
      ON CONFLICT (site_id, funnel_id) DO UPDATE SET built_at = now(), orders_at = EXCLUDED.orders_at`,
    values: [f.site_id, f.id],
  });
}

/** Change points of one funnel into funnel_points (visitor_id, t_us); answers nothing. */
async function collectPoints(client: pg.PoolClient, f: FunnelRow): Promise<void> {
  const v = [f.site_id, f.id];
  await client.query('TRUNCATE funnel_points');
  await client.query({
    text: `INSERT INTO funnel_points SELECT visitor_id, min_us FROM funnel_new WHERE site_id = $1::bigint
      UNION ALL SELECT visitor_id, max_us FROM funnel_new WHERE site_id = $1::bigint`,
    values: [f.site_id],
  });
  if (!hasOrderStep(f)) return;
  const changed = await client.query<{ id: string }>({
    text: `SELECT id FROM orders WHERE site_id = $1::bigint AND updated_at > $2::timestamptz`,
    values: [f.site_id, f.orders_at],
  });
  const ids = changed.rows.map((r) => r.id);
  if (ids.length) {
    // the visitors an order leaves (old links), then those it now links to (new links)
    await client.query({
      text: `WITH gone AS (
          DELETE FROM funnel_order_links WHERE site_id = $1::bigint AND funnel_id = $2::bigint AND order_id = ANY($3::text[])
          RETURNING visitor_id, at_us
        ) INSERT INTO funnel_points SELECT visitor_id, at_us FROM gone`,
      values: [...v, ids],
    });
    await insertLinks(client, f, ids);
    await client.query({
      text: `INSERT INTO funnel_points SELECT visitor_id, at_us FROM funnel_order_links
        WHERE site_id = $1::bigint AND funnel_id = $2::bigint AND order_id = ANY($3::text[])`,
      values: [...v, ids],
    });
  }
  // a visitor sending a customer's uid for the first time links to all that customer's orders
  await client.query({
    text: `WITH added AS (
        INSERT INTO funnel_order_links (site_id, funnel_id, order_id, visitor_id, at_us)
        SELECT DISTINCT $1::bigint, $2::bigint, o.id, n.visitor_id, (extract(epoch FROM o.created_at) * 1000000)::bigint
        FROM funnel_new_uids n JOIN orders o ON o.site_id = $1::bigint AND o.customer_id = n.user_id AND o.status IN ${PAID}
        WHERE n.site_id = $1::bigint
        ON CONFLICT DO NOTHING RETURNING visitor_id, at_us
      ) INSERT INTO funnel_points SELECT visitor_id, at_us FROM added`,
    values: v,
  });
  await client.query({
    text: `UPDATE funnel_state SET orders_at = greatest(orders_at, now() - make_interval(secs => ${ORDERS_LAG_SECONDS}))
      WHERE site_id = $1::bigint AND funnel_id = $2::bigint`,
    values: v,
  });
}

/** Recomputes the attempts the change points can touch; answers the number of visitors. */
async function applyPoints(client: pg.PoolClient, f: FunnelRow): Promise<number> {
  const windowUs = BigInt(f.window_seconds) * 1_000_000n;
  await client.query('TRUNCATE funnel_changes');
  await client.query({
    text: `INSERT INTO funnel_changes
      SELECT visitor_id, floor((min(t_us) - $1::bigint)::numeric / ${BUCKET_US})::bigint * ${BUCKET_US},
        (floor((max(t_us) + ${SESSION_GAP_US})::numeric / ${BUCKET_US})::bigint + 1) * ${BUCKET_US}
      FROM funnel_points GROUP BY visitor_id`,
    values: [windowUs.toString()],
  });
  const span = await client.query<{ n: number; lo: string | null; hi: string | null }>(
    'SELECT count(*)::int AS n, min(lo_us)::text AS lo, max(hi_us)::text AS hi FROM funnel_changes',
  );
  const { n, lo, hi } = span.rows[0]!;
  if (n === 0 || lo === null || hi === null) return 0;
  await client.query('ANALYZE funnel_changes');
  await client.query(recomputeAttemptsSql({ siteId: f.site_id, funnelId: f.id, definition: f, changes: { minLoUs: BigInt(lo), maxHiUs: BigInt(hi) } }));
  return n;
}

async function prepareBatch(client: pg.PoolClient, lo: number, to: number): Promise<number> {
  await client.query(`CREATE TEMP TABLE funnel_new (site_id bigint, visitor_id text, min_us bigint, max_us bigint) ON COMMIT DROP`);
  await client.query(`CREATE TEMP TABLE funnel_new_uids (site_id bigint, visitor_id text, user_id text) ON COMMIT DROP`);
  await client.query(`CREATE TEMP TABLE funnel_points (visitor_id text, t_us bigint) ON COMMIT DROP`);
  await client.query(`CREATE TEMP TABLE funnel_changes (visitor_id text PRIMARY KEY, lo_us bigint, hi_us bigint) ON COMMIT DROP`);
  if (to <= lo) return 0;
  const res = await client.query<{ rows: number }>({
    text: `WITH raw AS (
        SELECT site_id, visitor_id, user_id, occurred_at FROM pageviews
        WHERE ingest_seq > $1::bigint AND ingest_seq <= $2::bigint AND site_id IN (SELECT site_id FROM funnels)
        UNION ALL
        SELECT site_id, visitor_id, user_id, occurred_at FROM events
        WHERE ingest_seq > $1::bigint AND ingest_seq <= $2::bigint AND site_id IN (SELECT site_id FROM funnels)
      ), uids AS (
        INSERT INTO funnel_new_uids SELECT DISTINCT site_id, visitor_id, user_id FROM raw WHERE user_id IS NOT NULL
      ), grouped AS (
        INSERT INTO funnel_new
        SELECT site_id, visitor_id, (extract(epoch FROM min(occurred_at)) * 1000000)::bigint, (extract(epoch FROM max(occurred_at)) * 1000000)::bigint
        FROM raw GROUP BY site_id, visitor_id
      )
      SELECT count(*)::int AS rows FROM raw`,
    values: [lo, to],
  });
  await client.query('ANALYZE funnel_new');
  return res.rows[0]!.rows;
}

async function runBatch(pool: pg.Pool, hi: number, maxRows: number): Promise<{ skipped: boolean; lo: number; to: number; rows: number; built: number; visitors: number }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const lock = await client.query<{ ok: boolean }>({ text: 'SELECT pg_try_advisory_xact_lock(hashtext($1::text)) AS ok', values: [FUNNEL_STATE_WATERMARK] });
    if (!lock.rows[0]!.ok) {
      await client.query('ROLLBACK');
      return { skipped: true, lo: 0, to: 0, rows: 0, built: 0, visitors: 0 };
    }
    await client.query({ text: 'INSERT INTO rollup_watermarks (name, seq) VALUES ($1::text, 0) ON CONFLICT (name) DO NOTHING', values: [FUNNEL_STATE_WATERMARK] });
    const wm = await client.query<{ seq: number }>({ text: 'SELECT seq::float8 AS seq FROM rollup_watermarks WHERE name = $1::text FOR UPDATE', values: [FUNNEL_STATE_WATERMARK] });
    const lo = wm.rows[0]!.seq;
    const to = Math.max(lo, Math.min(hi, lo + maxRows));
    const rows = await prepareBatch(client, lo, to);
    const funnels = await client.query<FunnelRow>(`SELECT f.id::text AS id, f.site_id::text AS site_id, f.steps, f.window_seconds, f."order", f.unit,
        s.funnel_id IS NOT NULL AS built, s.orders_at
      FROM funnels f LEFT JOIN funnel_state s ON s.site_id = f.site_id AND s.funnel_id = f.id ORDER BY f.site_id, f.id`);
    let built = 0;
    let visitors = 0;
    for (const f of funnels.rows) {
      if (!f.built) {
        await build(client, f);
        built++;
        continue;
      }
      await collectPoints(client, f);
      visitors += await applyPoints(client, f);
    }
    await client.query({ text: 'UPDATE rollup_watermarks SET seq = $2::bigint, updated_at = now() WHERE name = $1::text', values: [FUNNEL_STATE_WATERMARK, to] });
    await client.query('COMMIT');
    return { skipped: false, lo, to, rows, built, visitors };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export async function runFunnelStateJob(pool: pg.Pool, options: { signal?: AbortSignal; maxRows?: number; lockTimeoutMs?: number } = {}): Promise<FunnelStateOutcome> {
  const hi = await safeUpperBound(pool, options.lockTimeoutMs, ['pageviews', 'events']);
  const out: FunnelStateOutcome = { skipped: false, batches: 0, rows: 0, built: 0, visitors: 0, watermark: 0 };
  for (;;) {
    const b = await runBatch(pool, hi, options.maxRows ?? DEFAULT_MAX_ROWS);
    if (b.skipped) return { ...out, skipped: true };
    out.batches++;
    out.rows += b.rows;
    out.built += b.built;
    out.visitors += b.visitors;
    out.watermark = b.to;
    if (b.to >= hi || options.signal?.aborted) return out;
  }
}

/** Forgets every saved funnel's state and builds it again from the raw rows (manual job). */
export async function rebuildFunnelState(pool: pg.Pool, options: { signal?: AbortSignal } = {}): Promise<FunnelStateOutcome> {
  await pool.query('DELETE FROM funnel_state');
  return runFunnelStateJob(pool, options);
}
