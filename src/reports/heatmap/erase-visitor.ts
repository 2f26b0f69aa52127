import type pg from 'pg';
import { HEATMAP_WATERMARK } from './rollup.ts';

/**
 * Erasing visitors from the heatmap rollups (contract §8; src/privacy runs it). Cell and selector
 * counts are additive per bucket: the erased visitors' folded points (at or below the heatmap
 * watermark, locked so no batch runs in between) are counted as the rollup counts them and
 * subtracted from those buckets only (slots, UTC days, UTC months); rows brought to zero go. Scroll rows are per visitor and
 * simply deleted. Input: the temp table `er_hm` (src/privacy/raw-rows.ts), before the raw delete.
 */
export async function eraseVisitorsFromHeatmaps(client: pg.ClientBase, siteId: string, visitorIds: string[]): Promise<{ scrollRows: number }> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('tally:heatmap-rollups'))`);
  const wm = await client.query<{ seq: string }>({
    text: `SELECT seq::text AS seq FROM rollup_watermarks WHERE name = $1::text FOR UPDATE`,
    values: [HEATMAP_WATERMARK],
  });
  await client.query({
    text: `CREATE TEMP TABLE er_hm_batch ON COMMIT DROP AS
           SELECT site_id, lower(host) AS host, path, device, kind, tally_slot(occurred_at) AS slot, (x / 16) * 16 AS cx, (y / 16) * 16 AS cy,
                  coalesce(selector, '') AS selector
           FROM er_hm WHERE ingest_seq <= $1::bigint`,
    values: [wm.rows[0]?.seq ?? '0'],
  });
  const DAY = `(slot AT TIME ZONE 'UTC')::date`;
  const PAGE = ['site_id', 'host', 'path', 'device', 'kind'];
  // Two statements: a row updated by one statement cannot be deleted by the same statement.
  const subtract = (table: string, grain: string, g: string, keys: string[], where: string) => {
    const cols = [...PAGE, ...keys];
    const on = [...cols, grain].map((c) => `t.${c} = d.${c}`).join(' AND ');
    const d = `(SELECT ${cols.join(', ')}, ${g} AS ${grain}, count(*) AS n FROM er_hm_batch WHERE ${where} GROUP BY ${cols.join(', ')}, ${g}) d`;
    return [`UPDATE ${table} t SET points = t.points - d.n FROM ${d} WHERE ${on}`, `DELETE FROM ${table} t USING ${d} WHERE ${on} AND t.points = 0`];
  };
  for (const text of [
    ...subtract('heatmap_cell_slots', 'slot', 'slot', ['cx', 'cy'], `kind <> 'scroll'`),
    ...subtract('heatmap_cell_days', 'day', DAY, ['cx', 'cy'], `kind <> 'scroll'`),
    ...subtract('heatmap_selector_slots', 'slot', 'slot', ['selector'], 'true'),
    ...subtract('heatmap_selector_days', 'day', DAY, ['selector'], 'true'),
    // sql/072: UTC-month copies of the day tables.
    ...subtract('heatmap_cell_months', 'month', `date_trunc('month', slot AT TIME ZONE 'UTC')::date`, ['cx', 'cy'], `kind <> 'scroll'`),
    ...subtract('heatmap_selector_months', 'month', `date_trunc('month', slot AT TIME ZONE 'UTC')::date`, ['selector'], 'true'),
  ]) await client.query(text);
  let scrollRows = 0;
  for (const table of ['heatmap_scroll_slots', 'heatmap_scroll_days']) {
    const r = await client.query({ text: `DELETE FROM ${table} WHERE site_id = $1::bigint AND visitor_id = ANY ($2::text[])`, values: [siteId, visitorIds] });
    scrollRows += r.rowCount ?? 0;
  }
  return { scrollRows };
}
