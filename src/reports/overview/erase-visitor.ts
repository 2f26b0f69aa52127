import type pg from 'pg';
import { AGG_DIMS, bucketOf, collapseNewPageviews, GRAINS, ORIGIN, PAGE_DIM, applySessionDeltas } from './traffic-rollup-sql.ts';
import { collectVisitorKeys } from './visitor-rollup-sql.ts';

/**
 * Erasing visitors from the traffic rollups (contract §8; src/privacy runs it). The counters are
 * additive per bucket, so the affected buckets are corrected exactly by taking away what the
 * erased visitors' own pageviews put there, computed by the rollup's own SQL (the same dimension
 * rows, buckets and session attributes): pageviews per (grain, bucket, dim, key), one visitor per
 * visitor-day key / visitor-day / visitor-hour, visits/bounces/duration of their sessions, and
 * their visitor_day_links. No other bucket is read or written (not a site rebuild).
 *
 * Input: the temp table `er_pv` (the erased visitors' pageview rows, src/privacy/raw-rows.ts),
 * read BEFORE the raw rows are deleted. Only rows at or below the traffic watermark were folded;
 * the watermark row is locked FOR UPDATE so no rollup batch runs in between (it waits, then
 * finds the rest of the rows deleted).
 */
export interface TrafficErased {
  sessions: number;
  visitorDays: number;
}

export async function eraseVisitorsFromTraffic(client: pg.ClientBase, siteId: string, visitorIds: string[]): Promise<TrafficErased> {
  const wm = await client.query<{ seq: string }>(`SELECT seq::text AS seq FROM rollup_watermarks WHERE name = 'traffic' FOR UPDATE`);
  const folded = wm.rows[0]?.seq ?? '0';
  // new_pv / new_agg / new_vk: the names the rollup's SQL builders read (traffic-rollup-sql.ts).
  await client.query({
    text: `CREATE TEMP TABLE new_pv ON COMMIT DROP AS
           WITH src AS (
             SELECT p.site_id, p.occurred_at, p.ingest_seq, p.visitor_id, hashtextextended(p.visitor_id, 0) AS visitor_key, p.session_id, p.path,
                    CASE WHEN p.ref_domain = p.host OR p.channel = 'internal' THEN NULL ELSE p.ref_domain END AS ref_domain,
                    NULLIF(p.channel, 'internal') AS channel, p.utm_source, p.utm_medium, p.utm_campaign, p.country, p.browser, p.os, p.device,
                    date_bin('15 minutes', p.occurred_at, ${ORIGIN}) AS slot
             FROM er_pv p WHERE p.ingest_seq <= $1::bigint)
           SELECT src.*, date_bin('1 hour', src.slot, ${ORIGIN}) AS hb,
                  date_trunc('day', src.slot, st.timezone) AS db, date_trunc('month', src.slot, st.timezone) AS mb
           FROM src JOIN sites st ON st.id = src.site_id`,
    values: [folded],
  });
  await client.query(collapseNewPageviews());
  await client.query(collectVisitorKeys());
  // Deltas per rollup row: pageviews by the rollup's dimension rows; visitors as addVisitorCounts
  // counted them (a key per visitor-day at day and month grain, a visitor-day at dim 0, a
  // visitor-hour at hour grain).
  await client.query(`CREATE TEMP TABLE er_traffic ON COMMIT DROP AS
    SELECT site_id, grain, bucket, dim, key, sum(pageviews) AS pageviews, sum(visitors) AS visitors FROM (
      SELECT x.site_id, g.grain, ${bucketOf('x')} AS bucket, x.dim, x.key, sum(x.n) AS pageviews, 0::bigint AS visitors
      FROM (SELECT y.site_id, y.hb, y.db, y.mb, y.dim, y.key, sum(y.n) AS n FROM (${AGG_DIMS} UNION ALL ${PAGE_DIM}) y
            GROUP BY 1, 2, 3, 4, 5, 6) x CROSS JOIN ${GRAINS}
      GROUP BY 1, 2, 3, 4, 5
      UNION ALL
      SELECT k.site_id, g.grain, CASE g.grain WHEN 'd' THEN k.db ELSE k.mb END, k.dim, k.key, 0, count(*)
      FROM new_vk k CROSS JOIN (VALUES ('d'::char(1)), ('m'::char(1))) g(grain) GROUP BY 1, 2, 3, 4, 5
      UNION ALL
      SELECT v.site_id, g.grain, CASE g.grain WHEN 'd' THEN v.db ELSE v.mb END, 0::smallint, '', 0, count(*)
      FROM (SELECT DISTINCT site_id, db, mb, visitor_key FROM new_agg) v CROSS JOIN (VALUES ('d'::char(1)), ('m'::char(1))) g(grain)
      GROUP BY 1, 2, 3, 4, 5
      UNION ALL
      SELECT h.site_id, 'h'::char(1), h.hb, 0::smallint, '', 0, count(*)
      FROM (SELECT DISTINCT site_id, hb, visitor_key FROM new_agg) h GROUP BY 1, 2, 3, 4, 5
    ) d GROUP BY 1, 2, 3, 4, 5`);
  await client.query(`UPDATE traffic_rollups t SET pageviews = t.pageviews - d.pageviews, visitors = t.visitors - d.visitors
    FROM er_traffic d WHERE t.site_id = d.site_id AND t.grain = d.grain AND t.dim = d.dim AND t.bucket = d.bucket AND t.key = d.key`);
  // Sessions: applySessionDeltas adds (new_s) − (old_s); with new_s empty it takes the erased
  // sessions' visits, bounces and durations out of their start buckets.
  await client.query(`CREATE TEMP TABLE new_s ON COMMIT DROP AS SELECT * FROM sessions WHERE false`);
  const old = await client.query({
    text: `CREATE TEMP TABLE old_s ON COMMIT DROP AS
           SELECT s.* FROM sessions s
           WHERE s.site_id = $1::bigint AND s.visitor_id = ANY ($2::text[])
             AND s.session_id IN (SELECT DISTINCT session_id FROM new_pv)`,
    values: [siteId, visitorIds],
  });
  await client.query(applySessionDeltas());
  await client.query({
    text: `DELETE FROM sessions s USING old_s o WHERE s.site_id = o.site_id AND s.session_id = o.session_id`,
    values: [],
  });
  // Rows the erased visitors alone held are gone in a rebuild: prune them. Every row changed above
  // is in er_traffic (a session's start bucket and entry attributes are those of its first
  // pageview, which is in new_pv), so the prune is primary-key probes, not a scan of every row of
  // the touched buckets (the traffic step took 0.5–3.3 s of an erase at 1M rows with that scan,
  // docs/benchmarks.md "Erase").
  await client.query(`DELETE FROM traffic_rollups t USING er_traffic d
    WHERE t.site_id = d.site_id AND t.grain = d.grain AND t.dim = d.dim AND t.bucket = d.bucket AND t.key = d.key
      AND t.pageviews = 0 AND t.visitors = 0 AND t.visits = 0 AND t.bounces = 0 AND t.duration_seconds = 0`);
  // visitor_day_links: − each erased visitor-day's link to the visitor's previous day.
  await client.query({
    text: `CREATE TEMP TABLE er_links ON COMMIT DROP AS
           SELECT site_id, day, prev_day, count(*) AS n FROM (
             SELECT site_id, day, coalesce(lag(day) OVER (PARTITION BY site_id, visitor_key ORDER BY day), '-infinity') AS prev_day
             FROM visitor_days WHERE site_id = $1::bigint AND visitor_key = ANY (SELECT hashtextextended(v, 0) FROM unnest($2::text[]) v)
           ) l GROUP BY 1, 2, 3`,
    values: [siteId, visitorIds],
  });
  await client.query(`UPDATE visitor_day_links t SET n = t.n - e.n FROM er_links e
    WHERE t.site_id = e.site_id AND t.day = e.day AND t.prev_day = e.prev_day`);
  await client.query(`DELETE FROM visitor_day_links t USING er_links e
    WHERE t.site_id = e.site_id AND t.day = e.day AND t.prev_day = e.prev_day AND t.n = 0`);
  const days = await client.query({
    text: `DELETE FROM visitor_days WHERE site_id = $1::bigint AND visitor_key = ANY (SELECT hashtextextended(v, 0) FROM unnest($2::text[]) v)`,
    values: [siteId, visitorIds],
  });
  return { sessions: old.rowCount ?? 0, visitorDays: days.rowCount ?? 0 };
}
