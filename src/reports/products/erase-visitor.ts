import type pg from 'pg';
import { productTrafficSteps } from './traffic-rollup.ts';

/**
 * Erasing visitors from the product-traffic rollups and first touches (contract §8; src/privacy
 * runs it). Views and add-to-carts are additive per (slot, product): the erased visitors' own
 * folded rows are counted as the rollup counts them (same path pattern, same catalogue
 * resolution) and taken away from their slots, UTC days and months by the rollup's own upsert
 * and day/month delta steps (productTrafficSteps with a negative `ct_slots`). Their first-touch
 * rows go; the revenue slots of their orders are recomputed by the commerce part of the erase.
 *
 * Input: temp tables `er_pv` and `er_ev` (src/privacy/raw-rows.ts), read before the raw delete.
 */
export async function eraseVisitorsFromProductTraffic(client: pg.ClientBase, siteId: string, visitorIds: string[]): Promise<{ firstTouches: number }> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('tally:commerce-traffic'))`);
  await client.query(`INSERT INTO commerce_rollup_watermarks (name) VALUES ('product-traffic') ON CONFLICT DO NOTHING`);
  const wm = await client.query<{ seq: string }>(`SELECT seq::text AS seq FROM commerce_rollup_watermarks WHERE name = 'product-traffic' FOR UPDATE`);
  const folded = wm.rows[0]!.seq;
  const [hits, slots, ...dayDeltas] = productTrafficSteps(0, 0).filter((s) => s.name !== 'first touch' && s.name !== 're-attribute orders');
  // The rollup's own hit query, on the erased rows instead of an ingest_seq range.
  const text = hits!.text
    .replace(/FROM pageviews WHERE ingest_seq > \$1::bigint AND ingest_seq <= \$2::bigint/, 'FROM er_pv WHERE ingest_seq <= $1::bigint')
    .replace(/FROM events WHERE ingest_seq > \$1::bigint AND ingest_seq <= \$2::bigint/, 'FROM er_ev WHERE ingest_seq <= $1::bigint');
  if (text.includes('$2::bigint')) throw new Error('products/traffic-rollup.ts hit query changed: update erase-visitor.ts');
  await client.query({ text, values: [folded] });
  await client.query(`UPDATE ct_slots SET views = -views, add_to_carts = -add_to_carts`);
  // Passed as {text, values}: a `name` would make pg prepare a named statement.
  await client.query({ text: slots!.text, values: slots!.values });
  for (const step of dayDeltas) await client.query({ text: step.text, values: step.values });
  await client.query(`DELETE FROM commerce_product_traffic_slots t USING ct_slots c
    WHERE t.site_id = c.site_id AND t.slot = c.slot AND t.product_id = c.product_id AND t.views = 0 AND t.add_to_carts = 0`);
  const ft = await client.query({
    text: `DELETE FROM commerce_visitor_first_touch WHERE site_id = $1::bigint AND visitor_id = ANY ($2::text[])`,
    values: [siteId, visitorIds],
  });
  return { firstTouches: ft.rowCount ?? 0 };
}
