import type pg from 'pg';
import { DIMS } from './traffic-rollup-sql.ts';
import type { Site } from '../../sites/sites.ts';
import { addDays, bucketArrays, localDateToUtc, type ReportRange } from '../common/params.ts';
import { querySerial } from '../common/serial.ts';

/**
 * The overview report (contract §4), read from traffic_rollups, visitor_day_links and visitor_days
 * (sql/030, sql/050) only — never
 * from the raw partitions. Grain: the site's local-day rollups when the request is in the site's
 * own zone at day/week/month interval (fewest rows); otherwise UTC-hour rollups regrouped into
 * the requested zone's buckets. Hour rollups line up with local days in every zone whose offset
 * is a whole number of hours; for others (e.g. Asia/Kolkata, +05:30) requested in a zone that is
 * not the site's, boundaries fall on the UTC hour that starts within the local day (documented).
 */

export interface TopRow {
  key: string;
  visitors: number;
  pageviews: number;
}

export const TOP_LISTS = {
  pages: DIMS.page,
  referrers: DIMS.referrer,
  channels: DIMS.channel,
  utm_sources: DIMS.utm_source,
  utm_mediums: DIMS.utm_medium,
  utm_campaigns: DIMS.utm_campaign,
  countries: DIMS.country,
  browsers: DIMS.browser,
  os: DIMS.os,
  devices: DIMS.device,
} as const;
export type TopListName = keyof typeof TOP_LISTS;

export interface Overview {
  totals: { visitors: number; visits: number; pageviews: number; bounce_rate: number; avg_visit_seconds: number };
  series: { t: string; visitors: number; visits: number; pageviews: number }[];
  top: Record<TopListName, TopRow[]>;
}

/**
 * A range is whole local days of `tz`: in the site's own zone the day rollups cover it exactly
 * (totals, top lists, day/week/month series); the hour series and other zones use hour rollups.
 */
export function grainFor(site: Pick<Site, 'timezone'>, range: Pick<ReportRange, 'tz'>): 'h' | 'd' {
  return range.tz === site.timezone ? 'd' : 'h';
}

const WHERE = `site_id = $1::bigint AND grain = $2::char(1) AND bucket >= $3::timestamptz AND bucket < $4::timestamptz`;

export function totalsQuery(siteId: string, grain: string, range: ReportRange) {
  return {
    text: `SELECT coalesce(sum(pageviews), 0) AS "pageviews", coalesce(sum(visits), 0) AS "visits",
        coalesce(sum(bounces), 0) AS "bounces", coalesce(sum(duration_seconds), 0) AS "durationSeconds"
      FROM traffic_rollups WHERE ${WHERE} AND dim = 0`,
    values: [siteId, grain, range.start, range.end],
  };
}

/**
 * Hour mask of a visitor_days row (sql/050) for the hours that start in [lo, hi): bit b is the
 * hour date_bin('1 hour', day) + b hours. Same rule as the hour rollups: an hour counts when it
 * starts inside the range.
 */
function hourMask(day: string, lo: string, hi: string): string {
  const bit = (t: string) => `least(40, greatest(0, ceil(extract(epoch FROM ${t} - date_bin('1 hour', ${day}, timestamptz '2000-01-01 00:00+00')) / 3600)))::int`;
  return `(((1::bigint << ${bit(hi)}) - 1) & ~((1::bigint << ${bit(lo)}) - 1))`;
}

/** visitor_days rows that may hold an hour of [lo, hi) (a local day spans ≤ 26 hours from its first hour). */
const DAYS_NEAR = (lo: string, hi: string) => `v.day > ${lo} - interval '28 hours' AND v.day < ${hi} + interval '1 hour'`;

/**
 * Exact unique visitors of the range. Site zone: Σ of visitor_day_links whose day is in the range
 * and whose previous day is before it (each visitor once, on their first day in the range; ~4k
 * rows at 90 days instead of a count(DISTINCT) over ~1M visitor-days). Other zones: distinct
 * visitors of the visitor-days with an hour in the range.
 */
export function totalVisitorsQuery(siteId: string, grain: string, range: ReportRange) {
  return grain === 'd'
    ? {
        text: `SELECT coalesce(sum(n), 0) AS "visitors" FROM visitor_day_links
          WHERE site_id = $1::bigint AND day >= $2::timestamptz AND day < $3::timestamptz AND prev_day < $2::timestamptz`,
        values: [siteId, range.start, range.end],
      }
    : {
        text: `SELECT count(DISTINCT v.visitor_key) AS "visitors" FROM visitor_days v
          WHERE v.site_id = $1::bigint AND ${DAYS_NEAR('$2::timestamptz', '$3::timestamptz')}
            AND v.hours & ${hourMask('v.day', '$2::timestamptz', '$3::timestamptz')} <> 0`,
        values: [siteId, range.start, range.end],
      };
}

const BUCKETS = `unnest($5::timestamptz[], $6::timestamptz[], $7::text[]) WITH ORDINALITY AS b(start, stop, t, i)`;
const JOIN_ON = `r.site_id = $1::bigint AND r.grain = $2::char(1) AND r.dim = 0 AND r.bucket >= b.start AND r.bucket < b.stop
  AND r.bucket >= $3::timestamptz AND r.bucket < $4::timestamptz`;

export function seriesQuery(siteId: string, grain: string, range: ReportRange) {
  return {
    text: `SELECT b.t, coalesce(sum(r.pageviews), 0) AS "pageviews", coalesce(sum(r.visits), 0) AS "visits",
        coalesce(sum(r.visitors), 0) AS "visitors"
      FROM ${BUCKETS} LEFT JOIN traffic_rollups r ON ${JOIN_ON}
      GROUP BY b.i, b.t ORDER BY b.i`,
    values: [siteId, grain, range.start, range.end, ...bucketArrays(range.buckets)],
  };
}

const BUCKETS_FROM_4 = `unnest($4::timestamptz[], $5::timestamptz[], $6::text[]) WITH ORDINALITY AS b(start, stop, t, i)`;

/** Exact unique visitors per bucket ∩ range, as totalVisitorsQuery per bucket. */
export function seriesVisitorsQuery(siteId: string, grain: string, range: ReportRange) {
  const lo = `greatest(b.start, $2::timestamptz)`;
  const hi = `least(b.stop, $3::timestamptz)`;
  return {
    text: grain === 'd'
      ? `SELECT b.t, coalesce(sum(l.n), 0) AS "visitors"
      FROM ${BUCKETS_FROM_4} LEFT JOIN visitor_day_links l ON l.site_id = $1::bigint AND l.day >= ${lo} AND l.day < ${hi} AND l.prev_day < ${lo}
      GROUP BY b.i, b.t ORDER BY b.i`
      : `SELECT b.t, count(DISTINCT v.visitor_key) AS "visitors"
      FROM ${BUCKETS_FROM_4} LEFT JOIN visitor_days v ON v.site_id = $1::bigint AND ${DAYS_NEAR(lo, hi)} AND v.hours & ${hourMask('v.day', lo, hi)} <> 0
      GROUP BY b.i, b.t ORDER BY b.i`,
    values: [siteId, range.start, range.end, ...bucketArrays(range.buckets)],
  };
}

/**
 * Whole local months of [from, to] (grain 'm') and the local days before and after them
 * (grain 'd'), as [grain, start, end) parts; an empty part is left out.
 */
export function monthParts(range: Pick<ReportRange, 'from' | 'to' | 'tz' | 'start' | 'end'>): ['d' | 'm', Date, Date][] {
  const toExcl = addDays(range.to, 1);
  const next = (d: string) => (d.slice(5, 7) === '12' ? `${Number(d.slice(0, 4)) + 1}-01-01` : `${d.slice(0, 5)}${String(Number(d.slice(5, 7)) + 1).padStart(2, '0')}-01`);
  const m1 = range.from.endsWith('-01') ? range.from : next(range.from);
  const m2 = `${toExcl.slice(0, 8)}01`;
  if (m1 >= m2) return [['d', range.start, range.end]];
  const a = localDateToUtc(m1, range.tz);
  const b = localDateToUtc(m2, range.tz);
  const parts: ['d' | 'm', Date, Date][] = [['d', range.start, a], ['m', a, b], ['d', b, range.end]];
  return parts.filter(([, lo, hi]) => lo.getTime() < hi.getTime());
}

/**
 * Top keys of every listed dimension in one scan of the counters, by visitors, then pageviews,
 * then key; '' (none) is left out. A key's `visitors` is the sum of its unique visitors per local
 * day of the site: exact for one day; a visitor coming back on another day counts again. That
 * keeps a 90-day overview on one index range of the rollups (an exact count(DISTINCT) per key
 * over visitor sets took 0.4–2 s on the benchmark); totals.visitors and the series stay exact.
 * Per-key visitor counters exist at day (and month) grain only, so in a zone other than the
 * site's, pageviews are exact (hour rollups) and visitors sum the site's days that start inside
 * the range. In the site's zone the range is read as whole local months (grain 'm', sql/050)
 * plus the days before the first and after the last whole month: a 90-day range reads ≤ ~60 day
 * rows and 1–3 month rows per key instead of 90 day rows (sums are the same).
 */
export function topQuery(siteId: string, grain: string, range: ReportRange, limit: number) {
  const byDim = `dim BETWEEN 1 AND 10 AND key <> '' AND site_id = $1::bigint AND bucket >= $2::timestamptz AND bucket < $3::timestamptz`;
  if (grain === 'd') {
    // Site zone: one index range per part (explicit bounds: a join to a VALUES list of bounds
    // was planned as a parallel seq scan of traffic_rollups, 106 ms on the 1M-row demo).
    const parts = monthParts(range);
    const values: unknown[] = [siteId, limit];
    const scans = parts.map(([g, lo, hi]) => {
      values.push(g, lo, hi);
      const n = values.length;
      return `SELECT dim, key, visitors, pageviews FROM traffic_rollups WHERE site_id = $1::bigint AND grain = $${n - 2}::char(1)
               AND dim BETWEEN 1 AND 10 AND bucket >= $${n - 1}::timestamptz AND bucket < $${n}::timestamptz AND key <> ''`;
    });
    return {
      text: `SELECT dim, key, visitors, pageviews FROM (
          SELECT dim, key, visitors, pageviews, row_number() OVER (PARTITION BY dim ORDER BY visitors DESC, pageviews DESC, key) AS rank
          FROM (SELECT dim, key, sum(visitors) AS visitors, sum(pageviews) AS pageviews FROM (${scans.join('\n UNION ALL ')}) t
                GROUP BY dim, key HAVING sum(pageviews) > 0) k
        ) r WHERE rank <= $2::int ORDER BY dim, rank`,
      values,
    };
  }
  return {
    text: `SELECT dim, key, visitors, pageviews FROM (
        SELECT dim, key, visitors, pageviews, row_number() OVER (PARTITION BY dim ORDER BY visitors DESC, pageviews DESC, key) AS rank
        FROM (SELECT dim, key, coalesce(v.visitors, 0) AS visitors, p.pageviews
             FROM (SELECT dim, key, sum(pageviews) AS pageviews FROM traffic_rollups WHERE grain = $4::char(1) AND ${byDim}
                   GROUP BY dim, key HAVING sum(pageviews) > 0) p
             LEFT JOIN (SELECT dim, key, sum(visitors) AS visitors FROM traffic_rollups WHERE grain = 'd' AND ${byDim}
                   GROUP BY dim, key) v USING (dim, key)
        ) k
      ) r WHERE rank <= $5::int ORDER BY dim, rank`,
    values: [siteId, range.start, range.end, grain, limit],
  };
}

/** Runs the pieces concurrently on the pool (separate connections: two cores, many small scans). */
export async function overviewReport(pool: pg.Pool, site: Site, range: ReportRange, limit: number): Promise<Overview> {
  const grain = grainFor(site, range);
  const seriesGrain = range.interval === 'hour' ? 'h' : grain;
  const names = Object.keys(TOP_LISTS) as TopListName[];
  // Buckets that are exactly rollup buckets take the per-bucket visitor counters; week/month
  // (or days regrouped from hours) need a distinct count over the visitor sets.
  const aligned = (seriesGrain === 'd' && range.interval === 'day') || range.interval === 'hour';
  const [totals, visitors, series, seriesVisitors, tops] = await Promise.all([
    pool.query<{ pageviews: number; visits: number; bounces: number; durationSeconds: number }>(totalsQuery(site.id, grain, range)),
    pool.query<{ visitors: number }>(totalVisitorsQuery(site.id, grain, range)),
    pool.query<{ t: string; pageviews: number; visits: number; visitors: number }>(seriesQuery(site.id, seriesGrain, range)),
    aligned ? undefined : pool.query<{ t: string; visitors: number }>(seriesVisitorsQuery(site.id, seriesGrain, range)),
    querySerial<TopRow & { dim: number }>(pool, topQuery(site.id, grain, range, limit)),
  ]);
  const t = totals.rows[0]!;
  const top = {} as Record<TopListName, TopRow[]>;
  for (const name of names) {
    top[name] = tops.rows.filter((r) => r.dim === TOP_LISTS[name]).map(({ key, visitors: v, pageviews }) => ({ key, visitors: v, pageviews }));
  }
  return {
    totals: {
      visitors: visitors.rows[0]!.visitors,
      visits: t.visits,
      pageviews: t.pageviews,
      bounce_rate: t.visits ? Math.round((t.bounces / t.visits) * 10_000) / 10_000 : 0,
      avg_visit_seconds: t.visits ? Math.round(t.durationSeconds / t.visits) : 0,
    },
    series: series.rows.map((row, i) => ({
      t: row.t, visitors: seriesVisitors ? seriesVisitors.rows[i]!.visitors : row.visitors, visits: row.visits, pageviews: row.pageviews,
    })),
    top,
  };
}
