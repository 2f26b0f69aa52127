/**
 * SQL joins that name the products of a report's rows `row` (a product_id column): the catalogue
 * entry, or for a product missing from the catalogue its first order item. Site id is `$1`.
 * Exposes `p` (products) and `i` (name, category) to the caller's select list.
 */
export function productNameJoins(row: string): string {
  return `LEFT JOIN products p ON p.site_id = $1::bigint AND p.id = ${row}.product_id
           -- An aggregate, not LIMIT 1: with LIMIT 1 the planner seq-scanned order_items per
           -- product (expecting an early match), a whole scan for products never ordered: 2.3 s
           -- p50 at 200k orders (bench 2026-11-29). p.id IS NULL inside: a one-time filter, so
           -- catalogue products skip the scan.
           LEFT JOIN LATERAL (SELECT (array_agg(oi.name ORDER BY oi.order_id, oi.line))[1] AS name,
                                     (array_agg(oi.category ORDER BY oi.order_id, oi.line))[1] AS category
                               FROM order_items oi WHERE p.id IS NULL AND oi.site_id = $1::bigint AND oi.product_id = ${row}.product_id) i ON true`;
}
