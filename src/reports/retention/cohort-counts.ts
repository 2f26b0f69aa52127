import type pg from 'pg';
import type { RetentionPeriod, RetentionPeriods } from './periods.ts';

/**
 * Visitor cohort counts (sql/091: the grain and why it is exact): kept by the retention job's
 * transaction and by erase, read by the report when the query's zone is the one they are kept in.
 *
 * Per run: every visitor with new pageviews has their contribution (one count per active period,
 * in four segment dimensions) subtracted, their period rows recomputed from all their UTC days
 * and the contribution added back — so a late older pageview that moves a visitor to an earlier
 * cohort, or changes their first touch, is right without special cases. A site whose zone changed
 * (or that was never built) is rebuilt whole in the same run.
 */

export type CohortGrain = Extract<RetentionPeriod, 'week' | 'month'>;
export const COHORT_GRAINS: readonly CohortGrain[] = ['week', 'month'];
export type Step = { name: string; text: string; values: unknown[] };

/** Counts per key contributed by the visitors listed in `source` (a table of site_id, visitor_id). */
function contributionSql(source: string): string {
  return `SELECT p.site_id, p.grain, d.dim, p.cohort, p.period, p.first_day, d.seg, count(*)::int AS visitors
          FROM (SELECT p.site_id, p.visitor_id, p.grain, p.period, p.first_day,
                       min(p.period) OVER (PARTITION BY p.site_id, p.visitor_id, p.grain) AS cohort
                FROM ${source} v JOIN retention_visitor_periods p ON p.site_id = v.site_id AND p.visitor_id = v.visitor_id) p
          JOIN retention_visitor_first f ON f.site_id = p.site_id AND f.visitor_id = p.visitor_id
          CROSS JOIN LATERAL (VALUES ('', ''), ('channel', f.channel), ('country', f.country), ('device', f.device)) AS d(dim, seg)
          GROUP BY 1, 2, 3, 4, 5, 6, 7`;
}

/** A counts table of sql/091/092: its key columns, the member count that decides a row's life, sums beside it. */
export interface CountsTable { name: string; keys: readonly string[]; count: string; sums?: readonly string[] }
export const VISITOR_COUNTS: CountsTable = {
  name: 'retention_cohort_counts', keys: ['site_id', 'grain', 'dim', 'cohort', 'period', 'first_day', 'seg'], count: 'visitors',
};

/** Subtracts the contribution rows of `contribution` (the table's keys, count, sums); rows whose count reaches 0 go. */
export function subtractSql(table: CountsTable, contribution: string): string {
  const match = table.keys.map((k) => `t.${k} = o.${k}`).join(' AND ');
  const set = [table.count, ...(table.sums ?? [])].map((c) => `${c} = t.${c} - o.${c}`).join(', ');
  return `WITH o AS MATERIALIZED (${contribution}),
          dec AS (UPDATE ${table.name} t SET ${set} FROM o WHERE ${match} AND t.${table.count} > o.${table.count} RETURNING 1)
          DELETE FROM ${table.name} t USING o WHERE ${match} AND t.${table.count} <= o.${table.count}`;
}

/** Adds the contribution rows of `contribution` (the table's keys, count, sums). */
export function addSql(table: CountsTable, contribution: string): string {
  const cols = [...table.keys, table.count, ...(table.sums ?? [])];
  const set = [table.count, ...(table.sums ?? [])].map((c) => `${c} = t.${c} + EXCLUDED.${c}`).join(', ');
  return `INSERT INTO ${table.name} AS t (${cols.join(', ')}) ${contribution}
          ON CONFLICT (${table.keys.join(', ')}) DO UPDATE SET ${set}`;
}

/** Subtracts the listed visitors' current contribution (rows reaching 0 are deleted). */
export function subtractContributionSql(source: string): string {
  return subtractSql(VISITOR_COUNTS, contributionSql(source));
}

/** A site's zone now vs the one its counts are kept in (temp table `temp`: site_id, tz, changed). */
export const zoneStep = (name: string, temp: string, zones: string): Step => ({
  name,
  text: `CREATE TEMP TABLE ${temp} ON COMMIT DROP AS
         SELECT s.id AS site_id, s.timezone AS tz, z.tz IS DISTINCT FROM s.timezone AS changed
         FROM sites s LEFT JOIN ${zones} z ON z.site_id = s.id`,
  values: [],
});

/** Empties `tables` for the sites whose zone changed (rebuilt whole in the same run). */
export function zoneClearStep(name: string, temp: string, tables: readonly string[]): Step {
  const del = (t: string) => `DELETE FROM ${t} t USING ${temp} z WHERE z.changed AND t.site_id = z.site_id`;
  const ctes = tables.slice(0, -1).map((t, i) => `c${i} AS (${del(t)} RETURNING 1)`);
  return { name, text: `${ctes.length ? `WITH ${ctes.join(',\n')}\n` : ''}${del(tables.at(-1)!)}`, values: [] };
}

/** Adds every member (`first`'s rows: site_id, `id`) of the sites whose zone changed to `members`. */
export const zoneMembersStep = (name: string, temp: string, members: string, first: string, id: string): Step => ({
  name,
  text: `INSERT INTO ${members} (site_id, ${id}) SELECT f.site_id, f.${id} FROM ${first} f JOIN ${temp} z ON z.site_id = f.site_id AND z.changed`,
  values: [],
});

/** Records the zone the changed sites' counts are now kept in (last: the report switches with it). */
export const zoneSetStep = (name: string, temp: string, zones: string): Step => ({
  name,
  text: `INSERT INTO ${zones} (site_id, tz) SELECT site_id, tz FROM ${temp} WHERE changed
         ON CONFLICT (site_id) DO UPDATE SET tz = EXCLUDED.tz, updated_at = now()`,
  values: [],
});

/** Before the visitor days / first-seen rows change: take the touched visitors out. */
export function cohortSubtractSteps(): Step[] {
  return [
    zoneStep('cohort zones', 'rt_zone', 'retention_cohort_zones'),
    {
      name: 'cohort visitors',
      text: `CREATE TEMP TABLE rt_cohort_visitors ON COMMIT DROP AS
             SELECT DISTINCT p.site_id, p.visitor_id FROM rt_pv p JOIN rt_zone z ON z.site_id = p.site_id AND NOT z.changed`,
      values: [],
    },
    { name: 'cohort visitors analyze', text: `ANALYZE rt_cohort_visitors`, values: [] },
    { name: 'cohort subtract', text: subtractContributionSql('rt_cohort_visitors'), values: [] },
    {
      name: 'cohort periods clear',
      text: `DELETE FROM retention_visitor_periods t USING rt_cohort_visitors v WHERE t.site_id = v.site_id AND t.visitor_id = v.visitor_id`,
      values: [],
    },
    zoneClearStep('cohort zone change clear', 'rt_zone', ['retention_cohort_counts', 'retention_visitor_periods']),
  ];
}

/** After the visitor days / first-seen rows are current: put the touched visitors back. */
export function cohortAddSteps(): Step[] {
  return [
    zoneMembersStep('cohort visitors of zone changes', 'rt_zone', 'rt_cohort_visitors', 'retention_visitor_first', 'visitor_id'),
    { name: 'cohort visitors analyze again', text: `ANALYZE rt_cohort_visitors`, values: [] },
    {
      // The first local day of each period among the UTC day's first and last instants (sql/091).
      name: 'cohort periods',
      text: `INSERT INTO retention_visitor_periods (site_id, visitor_id, grain, period, first_day)
             SELECT d.site_id, d.visitor_id, g.grain, date_trunc(g.grain, x.local)::date, min(x.local::date)
             FROM rt_cohort_visitors v
             JOIN retention_visitor_days d ON d.site_id = v.site_id AND d.visitor_id = v.visitor_id
             JOIN rt_zone z ON z.site_id = d.site_id
             CROSS JOIN LATERAL (VALUES (d.first_at AT TIME ZONE z.tz), (d.last_at AT TIME ZONE z.tz)) AS x(local)
             CROSS JOIN (VALUES ('week'), ('month')) AS g(grain)
             GROUP BY 1, 2, 3, 4`,
      values: [],
    },
    {
      name: 'cohort add',
      text: addSql(VISITOR_COUNTS, contributionSql('rt_cohort_visitors')),
      values: [],
    },
    zoneSetStep('cohort zones set', 'rt_zone', 'retention_cohort_zones'),
  ];
}

/** Erase: the visitors' contribution and period rows go (under the retention job's lock, before their first-seen rows). */
export async function eraseVisitorsFromCohortCounts(client: pg.ClientBase, siteId: string, visitorIds: string[]): Promise<number> {
  await client.query({
    text: `CREATE TEMP TABLE er_cohort_visitors ON COMMIT DROP AS SELECT $1::bigint AS site_id, unnest($2::text[]) AS visitor_id`,
    values: [siteId, visitorIds],
  });
  await client.query(subtractContributionSql('er_cohort_visitors'));
  const r = await client.query(`DELETE FROM retention_visitor_periods t USING er_cohort_visitors v WHERE t.site_id = v.site_id AND t.visitor_id = v.visitor_id`);
  await client.query(`DROP TABLE er_cohort_visitors`);
  return r.rowCount ?? 0;
}

/**
 * The fast read: counts per (cohort, period, segment) with a pageview before the end of `to`,
 * and the zone they are kept in, in one statement (one snapshot: never counts of another zone).
 */
export function cohortCountsSql(siteId: string, grain: CohortGrain, dim: string, p: RetentionPeriods, endDate: string) {
  return {
    text: `SELECT (SELECT tz FROM retention_cohort_zones WHERE site_id = $1::bigint) AS "zone",
                  coalesce((SELECT json_agg(json_build_array(r.cohort, r.period, r.seg, r.n))
                            FROM (SELECT cohort, period, seg, sum(visitors)::int AS n
                                  FROM retention_cohort_counts
                                  WHERE site_id = $1::bigint AND grain = $2::text AND dim = $3::text
                                    AND cohort >= $4::date AND cohort < $5::date AND first_day < $5::date
                                  GROUP BY cohort, period, seg) r), '[]'::json) AS "rows"`,
    values: [siteId, grain, dim, p.labels[0], endDate],
  };
}

export type CohortCountRow = [cohort: string, period: string, seg: string, n: number];

/** Rows of cohortCountsSql → the report's (c, seg, k, count) rows; 1-based period indexes. */
export function cohortCountsToActivity(rows: CohortCountRow[], p: RetentionPeriods) {
  const index = new Map(p.labels.map((l, i) => [l, i + 1]));
  return rows.map(([cohort, period, seg, n]) => {
    const c = index.get(cohort);
    const at = index.get(period);
    if (c === undefined || at === undefined) throw new Error(`cohort counts: period ${cohort}/${period} outside the report's periods`);
    return { c, seg, k: at - c, count: n, net: 0 };
  });
}
