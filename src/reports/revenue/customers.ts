import { splitRange } from '../common/split-range.ts';

/**
 * Revenue's exact customer counts (sql/040, sql/043, sql/053): the rollup steps that keep the
 * customer tables and the read of `customers` / `new_customers` over a range [A, B).
 *
 * Slot rows: one per (site, currency, quarter-hour slot, customer) with a paid order, each with
 * the customer's previous slot in that currency. A customer is counted once, on their first row
 * in the range, i.e. the row whose prev_slot is NULL or before A:
 *   customers(A, B) = #rows(slot ∈ [A, B), prev_slot < A).
 * Read as is, 90 days at 200k orders is ~195k index tuples (revenue p95 141–209 ms, bench
 * 2026-11-29). Split the range into the partial UTC day at its head [A, D1), the whole UTC days
 * [D1, D2) and the partial day at its tail [D2, B) (range bounds are local midnights or hours:
 * quarter-hour aligned in every zone, not UTC-day aligned), and let P = the UTC midnight ≤ A:
 * - head and tail: #rows(slot ∈ [A, D1) ∪ [D2, B), prev_slot < A), from the slot rows (≤ 2 days);
 * - whole days: a row of [D1, D2) with prev_slot < A has prev_slot < P or prev_slot ∈ [P, A).
 *   prev_slot < P (P a UTC midnight ≤ D1) only for the first row of a customer's UTC day, with
 *   prev_day < P: Σ n of commerce_customer_day_links(day ∈ [D1, D2), prev_day < P) (135 rows
 *   at 90 days on the bench data; the query took 4.4 ms instead of 82–134 ms);
 *   prev_slot ∈ [P, A) (the part of A's UTC day before the range): a range scan of the partial
 *   index on prev_slot, ≤ one day of rows. Empty when A is a UTC midnight (P = A).
 * When the range holds no whole UTC day, D1 = D2 and it is the plain slot-row count.
 * new_customers: Σ of the per-slot counts of first paid orders (≤ 8,640 rows for 90 days).
 */

const DAY_MS = 86_400_000;
const utcDay = (column: string) => `(${column} AT TIME ZONE 'UTC')::date`;

export function customersSql(siteId: string, currency: string, start: Date, end: Date) {
  const split = splitRange(start, end);
  const p = new Date(Math.floor(start.getTime() / DAY_MS) * DAY_MS);
  const rows = `FROM commerce_customer_slots WHERE site_id = $1::bigint AND currency = $2::char(3)`;
  return {
    // currency is char(3): compared as text, no index applies (sql/052).
    text: `SELECT (SELECT coalesce(sum(n), 0) FROM commerce_customer_day_links
                    WHERE site_id = $1::bigint AND currency = $2::char(3) AND day >= $5::date AND day < $6::date AND prev_day < $7::date)
                + (SELECT count(*) ${rows} AND slot >= $3::timestamptz AND slot < $8::timestamptz AND (prev_slot IS NULL OR prev_slot < $3::timestamptz))
                + (SELECT count(*) ${rows} AND slot >= $9::timestamptz AND slot < $4::timestamptz AND (prev_slot IS NULL OR prev_slot < $3::timestamptz))
                + (SELECT count(*) ${rows} AND prev_slot >= $10::timestamptz AND prev_slot < $3::timestamptz
                                           AND slot >= $8::timestamptz AND slot < $9::timestamptz) AS "customers",
                  (SELECT coalesce(sum(n), 0) FROM commerce_customer_first_slots
                    WHERE site_id = $1::bigint AND currency = $2::char(3) AND slot >= $3::timestamptz AND slot < $4::timestamptz) AS "newCustomers"`,
    values: [siteId, currency, start, end, split.dayFrom, split.dayTo, p.toISOString().slice(0, 10), split.headEnd, split.tailStart, p],
  };
}

type Step = { name: string; text: string; values: unknown[] };

/** (site, currency, day, prev_day, n) of the slot rows in `source` (columns site_id, currency, slot, `prev`) that start a customer's UTC day. */
function dayLinks(source: string, prev: string, n: string): string {
  return `SELECT site_id, currency, ${utcDay('slot')} AS day, coalesce(${utcDay(prev)}, '-infinity') AS prev_day, ${n} AS n
          FROM ${source} WHERE ${prev} IS NULL OR ${utcDay(prev)} < ${utcDay('slot')}`;
}

/** Adds a delta table (site_id, currency, `key`…, n) to a count table and drops the rows it brings to zero. */
function applyDelta(name: string, table: string, delta: string, keys: string[]): Step[] {
  const cols = keys.join(', ');
  return [
    {
      name,
      text: `INSERT INTO ${table} AS t (site_id, currency, ${cols}, n)
             SELECT site_id, currency, ${cols}, sum(n) FROM ${delta} GROUP BY site_id, currency, ${cols}
             ON CONFLICT (site_id, currency, ${cols}) DO UPDATE SET n = t.n + EXCLUDED.n`,
      values: [],
    },
    {
      name: `prune ${name}`,
      text: `DELETE FROM ${table} t USING (SELECT DISTINCT site_id, currency, ${cols} FROM ${delta}) x
             WHERE t.site_id = x.site_id AND t.currency = x.currency AND ${keys.map((k) => `t.${k} = x.${k}`).join(' AND ')} AND t.n = 0`,
      values: [],
    },
  ];
}

/**
 * The customer part of a revenue rollup run (after cr_slots, cr_customers and the order state
 * exist; see rollup.ts). The day links and first-order counts are kept by deltas of the
 * rows this run deletes, inserts and re-links (RETURNING old/new, PostgreSQL 18), so they stay a
 * pure aggregate of the slot and first-order rows and a run costs in proportion to its changes.
 */
export function customerRollupSteps({ customerKey, paid, inSlot }: { customerKey: string; paid: string; inSlot: (alias: string) => string }): Step[] {
  return [
    {
      name: 'clear customer slots',
      text: `CREATE TEMP TABLE cr_customer_delta ON COMMIT DROP AS
             WITH del AS (DELETE FROM commerce_customer_slots r USING cr_slots d WHERE r.site_id = d.site_id AND r.slot = d.slot
                          RETURNING r.site_id, r.currency, r.slot, r.prev_slot)
             ${dayLinks('del', 'prev_slot', '-1::bigint')}`,
      values: [],
    },
    {
      // New rows have no prev_slot yet: each starts its day with prev_day '-infinity' until the
      // next step links it.
      name: 'customer slots',
      text: `WITH ins AS (
               INSERT INTO commerce_customer_slots (site_id, currency, slot, customer_hash)
               SELECT DISTINCT o.site_id, o.currency, d.slot, hashtextextended(${customerKey}, 0)
               FROM cr_slots d JOIN orders o ON ${inSlot('o')}
               WHERE o.status IN ${paid} AND (o.customer_id IS NOT NULL OR o.visitor_id IS NOT NULL)
               RETURNING site_id, currency, slot)
             INSERT INTO cr_customer_delta (site_id, currency, day, prev_day, n)
             SELECT site_id, currency, ${utcDay('slot')}, '-infinity', count(*) FROM ins GROUP BY 1, 2, 3`,
      values: [],
    },
    {
      // Previous slot of each row of the customers touched (sql/043): the customers of the
      // recomputed slots and the customers whose orders changed (their other slots included).
      name: 'customer prev slots',
      text: `WITH who AS (
               SELECT s.site_id, s.customer_hash FROM cr_slots d
                 JOIN commerce_customer_slots s ON s.site_id = d.site_id AND s.slot = d.slot
               UNION
               SELECT site_id, hashtextextended(customer_key, 0) FROM cr_customers
             ), x AS (
               SELECT s.site_id, s.currency, s.slot, s.customer_hash,
                      lag(s.slot) OVER (PARTITION BY s.site_id, s.customer_hash, s.currency ORDER BY s.slot) AS prev
               FROM who w JOIN commerce_customer_slots s ON s.site_id = w.site_id AND s.customer_hash = w.customer_hash
             ), upd AS (
               UPDATE commerce_customer_slots t SET prev_slot = x.prev FROM x
               WHERE t.site_id = x.site_id AND t.currency = x.currency AND t.slot = x.slot AND t.customer_hash = x.customer_hash
                 AND t.prev_slot IS DISTINCT FROM x.prev
               RETURNING t.site_id, t.currency, t.slot, old.prev_slot AS old_prev, new.prev_slot AS new_prev
             ), moved AS (
               ${dayLinks('upd', 'old_prev', '-1::bigint')}
               UNION ALL
               ${dayLinks('upd', 'new_prev', '1::bigint')}
             )
             INSERT INTO cr_customer_delta (site_id, currency, day, prev_day, n)
             SELECT site_id, currency, day, prev_day, sum(n) FROM moved GROUP BY 1, 2, 3, 4`,
      values: [],
    },
    ...applyDelta('customer day links', 'commerce_customer_day_links', 'cr_customer_delta', ['day', 'prev_day']),
    {
      name: 'clear first orders',
      text: `CREATE TEMP TABLE cr_first_delta ON COMMIT DROP AS
             WITH del AS (DELETE FROM commerce_customer_first f USING cr_customers c WHERE f.site_id = c.site_id AND f.customer_key = c.customer_key
                          RETURNING f.site_id, f.currency, f.first_paid_at)
             SELECT site_id, currency, tally_slot(first_paid_at) AS slot, -count(*) AS n FROM del GROUP BY 1, 2, 3`,
      values: [],
    },
    {
      name: 'first orders',
      text: `WITH ins AS (
               INSERT INTO commerce_customer_first (site_id, customer_key, first_paid_at, currency)
               SELECT DISTINCT ON (site_id, customer_key) site_id, customer_key, created_at, currency
               FROM (
                 SELECT c.site_id, c.customer_key, o.created_at, o.currency, o.id
                 FROM cr_customers c JOIN orders o ON o.site_id = c.site_id AND o.customer_id = substr(c.customer_key, 3)
                 WHERE c.customer_key LIKE 'c:%' AND o.status IN ${paid}
                 UNION ALL
                 SELECT c.site_id, c.customer_key, o.created_at, o.currency, o.id
                 FROM cr_customers c JOIN orders o ON o.site_id = c.site_id AND o.visitor_id = substr(c.customer_key, 3)
                 WHERE c.customer_key LIKE 'v:%' AND o.customer_id IS NULL AND o.status IN ${paid}
               ) x
               ORDER BY site_id, customer_key, created_at, id
               RETURNING site_id, currency, first_paid_at)
             INSERT INTO cr_first_delta (site_id, currency, slot, n)
             SELECT site_id, currency, tally_slot(first_paid_at), count(*) FROM ins GROUP BY 1, 2, 3`,
      values: [],
    },
    ...applyDelta('customer first slots', 'commerce_customer_first_slots', 'cr_first_delta', ['slot']),
  ];
}
