/**
 * The discount-code part of a commerce rollup run (sql/112), appended to the revenue rollup's
 * steps (revenue/rollup.ts) so it runs in the same transaction, on the same dirty buckets and
 * with the same watermark: an order re-sent with other codes, another status or another date
 * has a new updated_at, its old and new slots are in cr_slots, and those slots are recomputed
 * whole from the commerce tables (never incremented), so its codes' numbers move at the next run.
 *
 * Needs cr_slots (the dirty (site, slot) buckets) and cr_customers (customers whose orders
 * changed, old and new keys) from the revenue steps. A customer's first paid order ever can move
 * when any of their orders changes, so the slots of their old and new first order are
 * recomputed too (the flag `new_customers` counts lives in those slots).
 */

type Step = { name: string; text: string; values: unknown[] };

export interface DiscountStepsInput {
  /** SQL of the customer key of order `o` ('c:' || customer_id, else 'v:' || visitor_id). */
  customerKey: string;
  /** The paid statuses as an SQL list. */
  paid: string;
  /** Join condition of a commerce row (by alias) to the dirty slot `d`. */
  inSlot: (alias: string) => string;
}

export function discountRollupSteps({ customerKey, paid, inSlot }: DiscountStepsInput): Step[] {
  return [
    {
      name: 'discount old first orders',
      text: `CREATE TEMP TABLE cr_discount_first ON COMMIT DROP AS
             WITH del AS (DELETE FROM discount_first_orders f USING cr_customers c
                          WHERE f.site_id = c.site_id AND f.customer_key = c.customer_key
                          RETURNING f.site_id, f.slot)
             SELECT site_id, slot FROM del`,
      values: [],
    },
    {
      // As commerce_customer_first (revenue/customers.ts): earliest created_at, ties by id.
      name: 'discount first orders',
      text: `WITH ins AS (
               INSERT INTO discount_first_orders (site_id, customer_key, order_id, slot)
               SELECT DISTINCT ON (site_id, customer_key) site_id, customer_key, id, tally_slot(created_at)
               FROM (
                 SELECT c.site_id, c.customer_key, o.created_at, o.id
                 FROM cr_customers c JOIN orders o ON o.site_id = c.site_id AND o.customer_id = substr(c.customer_key, 3)
                 WHERE c.customer_key LIKE 'c:%' AND o.status IN ${paid}
                 UNION ALL
                 SELECT c.site_id, c.customer_key, o.created_at, o.id
                 FROM cr_customers c JOIN orders o ON o.site_id = c.site_id AND o.visitor_id = substr(c.customer_key, 3)
                 WHERE c.customer_key LIKE 'v:%' AND o.customer_id IS NULL AND o.status IN ${paid}
               ) x
               ORDER BY site_id, customer_key, created_at, id
               RETURNING site_id, slot)
             INSERT INTO cr_discount_first (site_id, slot) SELECT site_id, slot FROM ins`,
      values: [],
    },
    {
      name: 'discount dirty slots',
      text: `CREATE TEMP TABLE cr_discount_slots ON COMMIT DROP AS
             SELECT site_id, slot FROM cr_slots UNION SELECT site_id, slot FROM cr_discount_first`,
      values: [],
    },
    { name: 'analyze discount slots', text: `ANALYZE cr_discount_slots`, values: [] },
    {
      name: 'clear discount code slots',
      text: `DELETE FROM discount_code_slots t USING cr_discount_slots d WHERE t.site_id = d.site_id AND t.slot = d.slot`,
      values: [],
    },
    {
      // An order counts under each of its codes ('' = none); a refund under its order's codes.
      name: 'discount code slots',
      text: `INSERT INTO discount_code_slots (site_id, currency, slot, code, orders, gross, discount, refunds, new_customers)
             SELECT site_id, currency, slot, code, sum(orders), sum(gross), sum(discount), sum(refunds), sum(new_customers)
             FROM (
               SELECT o.site_id, o.currency, d.slot, coalesce(c.code, '') AS code, 1 AS orders, o.total AS gross,
                      o.discount, 0::bigint AS refunds, (f.order_id IS NOT NULL)::int AS new_customers
               FROM cr_discount_slots d
               JOIN orders o ON ${inSlot('o')}
               LEFT JOIN order_discount_codes c ON c.site_id = o.site_id AND c.order_id = o.id
               LEFT JOIN discount_first_orders f ON f.site_id = o.site_id AND f.order_id = o.id AND f.customer_key = ${customerKey}
               WHERE o.status IN ${paid}
               UNION ALL
               SELECT r.site_id, r.currency, d.slot, coalesce(c.code, ''), 0, 0, 0, r.amount, 0
               FROM cr_discount_slots d
               JOIN refunds r ON ${inSlot('r')}
               LEFT JOIN order_discount_codes c ON c.site_id = r.site_id AND c.order_id = r.order_id
             ) x
             GROUP BY site_id, currency, slot, code`,
      values: [],
    },
    {
      name: 'clear discount customer slots',
      text: `DELETE FROM discount_customer_slots t USING cr_discount_slots d WHERE t.site_id = d.site_id AND t.slot = d.slot`,
      values: [],
    },
    {
      // The slots' orders first (MATERIALIZED), then their codes: left to itself the planner
      // started from all of order_discount_codes and range-joined every code row to the dirty
      // slots — 17 s for 1,000 re-sent orders at 200k orders (2026-12-04; this: see docs/api.md).
      name: 'discount customer slots',
      text: `WITH o AS MATERIALIZED (
               SELECT o.site_id, o.id, o.currency, d.slot, ${customerKey} AS customer_key
               FROM cr_discount_slots d
               JOIN orders o ON ${inSlot('o')}
               WHERE o.status IN ${paid} AND (o.customer_id IS NOT NULL OR o.visitor_id IS NOT NULL)
             )
             INSERT INTO discount_customer_slots (site_id, currency, slot, code, customer_hash)
             SELECT DISTINCT o.site_id, o.currency, o.slot, c.code, hashtextextended(o.customer_key, 0)
             FROM o JOIN order_discount_codes c ON c.site_id = o.site_id AND c.order_id = o.id`,
      values: [],
    },
  ];
}

/** The tables this part keeps, for a full rebuild (revenue/commerce-rollups.ts). */
export const DISCOUNT_ROLLUP_TABLES = ['discount_code_slots', 'discount_customer_slots', 'discount_first_orders'];
