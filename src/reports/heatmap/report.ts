import type pg from 'pg';
import { splitRange, splitValues, splitWhere } from '../common/split-range.ts';

/**
 * The heatmap report (contract §4.3) and its extras (selectors, pages) from the rollups of
 * sql/071 and sql/072. A range [start, end) is split into whole UTC months (the cell and selector
 * `*_months` tables), whole UTC days (the `*_days` tables) and the partial days at its edges (the
 * quarter-hour `*_slots` tables); local midnights of every IANA zone are on quarter hours, so the
 * union is exactly the range. Scroll depth has no month table: its days and slots cover the range.
 */

export const HEATMAP_CELL = 16;
export const HEATMAP_DEVICES = ['desktop', 'tablet', 'mobile'] as const;
export const HEATMAP_KINDS = ['click', 'rage', 'dead'] as const;
export type HeatmapDevice = (typeof HEATMAP_DEVICES)[number];
export type HeatmapKind = (typeof HEATMAP_KINDS)[number];

export interface HeatmapPage {
  host: string;
  path: string;
}

export interface HeatmapQuery extends HeatmapPage {
  siteId: string;
  device: HeatmapDevice;
  kind: HeatmapKind;
  start: Date;
  end: Date;
}

type Sql = { text: string; values: unknown[] };

/**
 * Every grain of a rollup for one page, device (and kind), unioned; `cols` are read from each.
 * Tables with a kind (cells, selectors) have a month copy; scroll has not.
 */
function pageUnion(table: string, cols: string, withKind: boolean): string {
  const w = splitWhere(withKind ? 6 : 5);
  const kind = withKind ? ' AND kind = $5::text' : '';
  const page = `site_id = $1::bigint AND host = $2::text AND path = $3::text AND device = $4::text${kind}`;
  const months = withKind ? `\n          UNION ALL SELECT ${cols} FROM ${table}_months WHERE ${page} AND ${w.months}` : '';
  return `SELECT ${cols} FROM ${table}_days WHERE ${page} AND ${w.days}
          UNION ALL SELECT ${cols} FROM ${table}_slots WHERE ${page} AND ${w.slots}${months}`;
}

/** $1 site, $2 host, $3 path, $4 device, [$5 kind], then the range split (with months when there is a kind). */
function pageValues(q: HeatmapQuery, withKind: boolean): unknown[] {
  const split = splitValues(splitRange(q.start, q.end, { months: withKind }), withKind);
  return [q.siteId, q.host.toLowerCase(), q.path, q.device, ...(withKind ? [q.kind] : []), ...split];
}

/** Points per 16 px cell, every cell with a point; ordered top to bottom, left to right. */
export function heatmapCellsSql(q: HeatmapQuery): Sql {
  return {
    text: `SELECT cx AS "x", cy AS "y", sum(points)::float8 AS "count"
           FROM (${pageUnion('heatmap_cell', 'cx, cy, points', true)}) u
           GROUP BY cx, cy ORDER BY cy, cx`,
    values: pageValues(q, true),
  };
}

/**
 * Visitors whose max scroll depth over the range reached ≥ 10, 20 … 100 (any kind): one pass over
 * the per-visitor maxima with a filtered count per step. (It counted `depth >= d` in a subquery
 * per step, which PostgreSQL ran as 10 aggregations of the visitor rows: 197 ms for 31,840 rows
 * on the 2M-event demo data; then a count per 10 % step summed from the top, which the planner,
 * estimating 67 visitors for 54,767, ran as a sort of every visitor: 14 of 80 ms at 10M events,
 * 2026-12-04.)
 */
export function heatmapScrollSql(q: HeatmapQuery): Sql {
  const steps = Array.from({ length: 10 }, (_, i) => (i + 1) * 10);
  return {
    text: `WITH per_visitor AS (
             SELECT visitor_id, max(depth) AS depth
             FROM (${pageUnion('heatmap_scroll', 'visitor_id, depth', false)}) u
             GROUP BY visitor_id
           ), counts AS (
             SELECT ARRAY[${steps.map((d) => `count(*) FILTER (WHERE depth >= ${d})`).join(', ')}] AS n FROM per_visitor
           )
           SELECT d AS "depth", n[d / 10]::float8 AS "visitors" FROM counts CROSS JOIN generate_series(10, 100, 10) d ORDER BY d`,
    values: pageValues(q, false),
  };
}

/** The most clicked element selectors (of the kind) with their point counts. */
export function heatmapSelectorsSql(q: HeatmapQuery, limit: number): Sql {
  return {
    text: `SELECT selector, sum(points)::float8 AS "count"
           FROM (${pageUnion('heatmap_selector', 'selector, points', true)}) u
           WHERE selector <> ''
           GROUP BY selector ORDER BY sum(points) DESC, selector LIMIT $16::int`,
    values: [...pageValues(q, true), limit],
  };
}

export interface HeatmapReport {
  url: string;
  device: HeatmapDevice;
  kind: HeatmapKind;
  cell: number;
  total: number;
  points: { x: number; y: number; count: number }[];
  scroll: { depth: number; visitors: number }[];
  selectors?: { selector: string; count: number }[];
}

export async function heatmapReport(pool: pg.Pool, q: HeatmapQuery, url: string, selectors: number | null): Promise<HeatmapReport> {
  const [cells, scroll, sels] = await Promise.all([
    pool.query<{ x: number; y: number; count: number }>(heatmapCellsSql(q)),
    pool.query<{ depth: number; visitors: number }>(heatmapScrollSql(q)),
    selectors === null ? null : pool.query<{ selector: string; count: number }>(heatmapSelectorsSql(q, selectors)),
  ]);
  const report: HeatmapReport = {
    url, device: q.device, kind: q.kind, cell: HEATMAP_CELL,
    total: cells.rows.reduce((n, r) => n + r.count, 0),
    points: cells.rows,
    scroll: scroll.rows,
  };
  if (sels) report.selectors = sels.rows;
  return report;
}

export interface HeatmapPagesRow {
  url: string;
  host: string;
  path: string;
  clicks: number;
  rage: number;
  dead: number;
  points: number;
}

/** Pages with heatmap data in the range (any device), most clicked first. */
export function heatmapPagesSql(siteId: string, start: Date, end: Date, limit: number, device: HeatmapDevice | null): Sql {
  const w = splitWhere(3);
  const dev = `($13::text IS NULL OR device = $13::text)`;
  return {
    text: `SELECT host, path,
                  (sum(points) FILTER (WHERE kind = 'click'))::float8 AS "clicks",
                  (sum(points) FILTER (WHERE kind = 'rage'))::float8 AS "rage",
                  (sum(points) FILTER (WHERE kind = 'dead'))::float8 AS "dead",
                  (sum(points) FILTER (WHERE kind <> 'scroll'))::float8 AS "points"
           FROM (SELECT host, path, kind, points FROM heatmap_selector_days WHERE site_id = $1::bigint AND ${dev} AND ${w.days}
                 UNION ALL SELECT host, path, kind, points FROM heatmap_selector_slots WHERE site_id = $1::bigint AND ${dev} AND ${w.slots}
                 UNION ALL SELECT host, path, kind, points FROM heatmap_selector_months WHERE site_id = $1::bigint AND ${dev} AND ${w.months}) u
           GROUP BY host, path
           ORDER BY 3 DESC NULLS LAST, host, path LIMIT $2::int`,
    values: [siteId, limit, ...splitValues(splitRange(start, end, { months: true }), true), device],
  };
}

export async function heatmapPages(pool: pg.Pool, siteId: string, start: Date, end: Date, limit: number, device: HeatmapDevice | null): Promise<HeatmapPagesRow[]> {
  const { rows } = await pool.query<Omit<HeatmapPagesRow, 'url'>>(heatmapPagesSql(siteId, start, end, limit, device));
  return rows.map((r) => ({
    url: `https://${r.host}${r.path}`, host: r.host, path: r.path,
    clicks: r.clicks ?? 0, rage: r.rage ?? 0, dead: r.dead ?? 0, points: r.points ?? 0,
  }));
}
