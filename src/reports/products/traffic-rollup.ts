import type pg from 'pg';
import { dayDeltaSteps, type RollupOptions } from '../revenue/rollup.ts';
import { safeUpperBound } from '../common/watermark.ts';

/**
 * Incremental product views / add-to-carts and visitor first touch, from the raw tables.
 *
 * Conventions (docs/api.md "Commerce reports"):
 * - a product view is a pageview whose path is `/products/<segment>` (optionally followed by
 *   `/…`); the segment names the product by its id or by its handle (sql/041: the product
 *   name in lower case, other characters → '-', as Shopify handles and the demo's URLs), resolved
 *   against the catalogue when the view is rolled up; an unknown segment is kept as the id;
 * - an add-to-cart is an event named `add_to_cart` whose `props.product_id` is the product id.
 *
 * Raw rows are append-only, so this part counts each row exactly once by ingest_seq, with C1's
 * watermark method (src/reports/common/watermark.ts, the Citus incremental-rollup method): a brief
 * `LOCK ... IN EXCLUSIVE MODE` on the tables read waits for in-flight writers, then the sequence
 * position read under it bounds rows that are all committed (sql/030 sets the sequence to
 * CACHE 1). Here both `pageviews` and `events` are read, so both are locked. Rows in
 * (watermark, bound] are added to the slot and UTC-day counters and the watermark moves to the
 * bound in the same transaction: an interrupted run rolls back whole and is redone.
 *
 * First touch: the channel of a visitor's earliest pageview (ties: lowest ingest_seq). When a
 * batch gives a visitor an earlier first pageview than recorded (new visitor, or a late beacon),
 * the revenue slots of that visitor's orders and refunds are queued in commerce_dirty_slots so
 * the revenue part re-attributes them.
 */

const VIEW_PATH = `^/products/([^/?#]+)`;

export function productTrafficSteps(lo: number, hi: number): { name: string; text: string; values: unknown[] }[] {
  return [
    {
      name: 'new product hits',
      // Segments are resolved once per distinct segment of the batch, not per pageview (per row,
      // the handle lookup made this step 4.3 s for 20k new events on the demo data, 2026-11-29).
      text: `CREATE TEMP TABLE ct_slots ON COMMIT DROP AS
             WITH hits AS (
               SELECT site_id, tally_slot(occurred_at) AS slot, substring(path FROM '${VIEW_PATH}') AS segment, true AS is_view,
                      count(*) AS n
               FROM pageviews WHERE ingest_seq > $1::bigint AND ingest_seq <= $2::bigint AND path LIKE '/products/%'
               GROUP BY 1, 2, 3
               UNION ALL
               SELECT site_id, tally_slot(occurred_at), props->>'product_id', false, count(*)
               FROM events WHERE ingest_seq > $1::bigint AND ingest_seq <= $2::bigint AND name = 'add_to_cart'
               GROUP BY 1, 2, 3
             ), resolved AS (
               SELECT s.site_id, s.segment,
                      coalesce((SELECT p.id FROM products p WHERE p.site_id = s.site_id AND p.id = s.segment),
                               (SELECT min(p.id) FROM products p WHERE p.site_id = s.site_id AND tally_product_handle(p.name) = s.segment),
                               s.segment) AS product_id
               FROM (SELECT DISTINCT site_id, segment FROM hits WHERE is_view) s
             )
             SELECT h.site_id, h.slot, CASE WHEN h.is_view THEN r.product_id ELSE h.segment END AS product_id,
                    coalesce(sum(h.n) FILTER (WHERE h.is_view), 0)::bigint AS views,
                    coalesce(sum(h.n) FILTER (WHERE NOT h.is_view), 0)::bigint AS add_to_carts
             FROM hits h LEFT JOIN resolved r ON h.is_view AND r.site_id = h.site_id AND r.segment = h.segment
             WHERE (CASE WHEN h.is_view THEN r.product_id ELSE h.segment END) <> ''
             GROUP BY 1, 2, 3`,
      values: [lo, hi],
    },
    {
      name: 'product traffic slots',
      text: `INSERT INTO commerce_product_traffic_slots AS t (site_id, slot, product_id, views, add_to_carts)
             SELECT site_id, slot, product_id, views, add_to_carts FROM ct_slots
             ON CONFLICT (site_id, slot, product_id) DO UPDATE
               SET views = t.views + EXCLUDED.views, add_to_carts = t.add_to_carts + EXCLUDED.add_to_carts`,
      values: [],
    },
    // ct_slots holds this batch's increments: add them to the UTC days too.
    ...dayDeltaSteps('product_traffic', 'ct_slots', `(slot AT TIME ZONE 'UTC')::date`, ['product_id'], ['views', 'add_to_carts']),
    {
      name: 'first touch',
      text: `CREATE TEMP TABLE ct_first ON COMMIT DROP AS
             WITH batch AS (
               SELECT DISTINCT ON (site_id, visitor_id) site_id, visitor_id, occurred_at, channel
               FROM pageviews WHERE ingest_seq > $1::bigint AND ingest_seq <= $2::bigint
               ORDER BY site_id, visitor_id, occurred_at, ingest_seq
             ), up AS (
               INSERT INTO commerce_visitor_first_touch AS f (site_id, visitor_id, first_seen_at, channel)
               SELECT site_id, visitor_id, occurred_at, channel FROM batch
               ON CONFLICT (site_id, visitor_id) DO UPDATE
                 SET first_seen_at = EXCLUDED.first_seen_at, channel = EXCLUDED.channel
                 WHERE EXCLUDED.first_seen_at < f.first_seen_at
               RETURNING f.site_id, f.visitor_id
             )
             SELECT site_id, visitor_id FROM up`,
      values: [lo, hi],
    },
    {
      name: 're-attribute orders',
      text: `INSERT INTO commerce_dirty_slots (site_id, slot)
             SELECT o.site_id, tally_slot(o.created_at) FROM ct_first f
               JOIN orders o ON o.site_id = f.site_id AND o.visitor_id = f.visitor_id
             UNION
             SELECT r.site_id, tally_slot(r.created_at) FROM ct_first f
               JOIN orders o ON o.site_id = f.site_id AND o.visitor_id = f.visitor_id
               JOIN refunds r ON r.site_id = o.site_id AND r.order_id = o.id
             ON CONFLICT DO NOTHING`,
      values: [],
    },
  ];
}

export interface ProductTrafficResult {
  skipped: boolean;
  rows: number;
  from: number;
  to: number;
}

/** One incremental run of the raw-table part. */
export async function runProductTrafficRollup(pool: pg.Pool, options: RollupOptions & { lockTimeoutMs?: number; maxRows?: number } = {}): Promise<ProductTrafficResult> {
  const hi = await safeUpperBound(pool, options.lockTimeoutMs, ['pageviews', 'events']);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const lock = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_xact_lock(hashtext('tally:commerce-traffic')) AS ok`);
    if (!lock.rows[0]!.ok) {
      await client.query('ROLLBACK');
      return { skipped: true, rows: 0, from: 0, to: 0 };
    }
    await client.query(`INSERT INTO commerce_rollup_watermarks (name) VALUES ('product-traffic') ON CONFLICT DO NOTHING`);
    const wm = await client.query<{ seq: number }>(`SELECT seq FROM commerce_rollup_watermarks WHERE name = 'product-traffic' FOR UPDATE`);
    const lo = wm.rows[0]!.seq;
    // Bounded batches keep one transaction (and its temp tables) small during a backfill; the
    // job loops until it has caught up.
    const to = Math.min(hi, lo + (options.maxRows ?? 2_000_000));
    let rows = 0;
    if (to > lo) {
      for (const step of productTrafficSteps(lo, to)) {
        await options.beforeStep?.(step.name);
        const res = await client.query({ text: step.text, values: step.values });
        if (step.name === 'new product hits' || step.name === 'first touch') rows += res.rowCount ?? 0;
      }
      await options.beforeStep?.('watermark');
      await client.query({
        text: `UPDATE commerce_rollup_watermarks SET seq = $1::bigint, updated_at = now() WHERE name = 'product-traffic'`,
        values: [to],
      });
    }
    await client.query('COMMIT');
    return { skipped: false, rows, from: lo, to };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
