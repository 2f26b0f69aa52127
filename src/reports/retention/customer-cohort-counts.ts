import {
  addSql, cohortCountsToActivity, subtractSql, zoneClearStep, zoneMembersStep, zoneSetStep, zoneStep,
  type CohortCountRow, type CohortGrain, type CountsTable, type Step,
} from './cohort-counts.ts';
import type { RetentionPeriods } from './periods.ts';

/**
 * Customer cohort counts and money (sql/092: the grain and why it is exact), kept by the
 * retention job's commerce steps (rollup.ts commerceSteps, which erase runs too) and read by the
 * report when the query's zone is the one they are kept in — as cohort-counts.ts does for visitors.
 *
 * Per run: every customer the commerce steps recompute (rt_customers: changed orders, refunds,
 * re-sent orders' old customers, customers whose first touch moved) has their contribution
 * subtracted while their slots and first-order row are still the old ones, and added back from
 * the new ones. A site whose zone changed (or never built) is rebuilt whole in the same run.
 */

const COUNTS: CountsTable = {
  name: 'retention_customer_cohort_counts', keys: ['site_id', 'grain', 'dim', 'cohort', 'period', 'first_day', 'seg'], count: 'customers',
};
const MONEY: CountsTable = {
  name: 'retention_customer_cohort_money', keys: ['site_id', 'grain', 'dim', 'cohort', 'day', 'seg', 'currency'], count: 'customers', sums: ['net'],
};
const DIMS = `(VALUES ('', ''), ('channel', f.channel), ('country', f.country), ('device', f.device)) AS d(dim, seg)`;
const cohortOf = (grain: string) => `date_trunc(${grain}, f.first_paid_at AT TIME ZONE z.tz)::date`;

/** Customers per counts key, of the customers listed in `source` (site_id, customer_id). */
function countsContribution(source: string): string {
  return `SELECT p.site_id, p.grain, d.dim, ${cohortOf('p.grain')} AS cohort, p.period, p.first_day, d.seg, count(*)::int AS customers
          FROM ${source} v
          JOIN retention_customer_periods p ON p.site_id = v.site_id AND p.customer_id = v.customer_id
          JOIN retention_customer_first f ON f.site_id = v.site_id AND f.customer_id = v.customer_id
          JOIN rc_zone z ON z.site_id = v.site_id
          CROSS JOIN LATERAL ${DIMS}
          GROUP BY 1, 2, 3, 4, 5, 6, 7`;
}

/** Customers and Σ (gross − refunds) per money key (local day on or after the cohort's first day). */
function moneyContribution(source: string): string {
  return `SELECT x.site_id, x.grain, d.dim, x.cohort, x.day, d.seg, x.currency, count(*)::int AS customers, sum(x.net)::bigint AS net
          FROM (SELECT s.site_id, g.grain, ${cohortOf('g.grain')} AS cohort, (s.slot AT TIME ZONE z.tz)::date AS day, s.currency,
                       sum(s.gross - s.refunds) AS net, f.channel, f.country, f.device
                FROM ${source} v
                JOIN retention_customer_first f ON f.site_id = v.site_id AND f.customer_id = v.customer_id
                JOIN rc_zone z ON z.site_id = v.site_id
                JOIN retention_customer_slots s ON s.site_id = v.site_id AND s.customer_id = v.customer_id
                CROSS JOIN (VALUES ('week'), ('month')) AS g(grain)
                GROUP BY s.site_id, s.customer_id, g.grain, 3, 4, s.currency, f.channel, f.country, f.device) x
          CROSS JOIN LATERAL (VALUES ('', ''), ('channel', x.channel), ('country', x.country), ('device', x.device)) AS d(dim, seg)
          WHERE x.day >= x.cohort
          GROUP BY 1, 2, 3, 4, 5, 6, 7`;
}

/** After rt_customers is known, before their slots and first-order rows change: take them out. */
export function customerCohortSubtractSteps(): Step[] {
  return [
    zoneStep('customer cohort zones', 'rc_zone', 'retention_customer_cohort_zones'),
    {
      name: 'customer cohort members',
      text: `CREATE TEMP TABLE rc_customers ON COMMIT DROP AS
             SELECT DISTINCT d.site_id, d.customer_id FROM rt_customers d JOIN rc_zone z ON z.site_id = d.site_id AND NOT z.changed`,
      values: [],
    },
    { name: 'customer cohort members analyze', text: `ANALYZE rc_customers`, values: [] },
    { name: 'customer cohort counts subtract', text: subtractSql(COUNTS, countsContribution('rc_customers')), values: [] },
    { name: 'customer cohort money subtract', text: subtractSql(MONEY, moneyContribution('rc_customers')), values: [] },
    {
      name: 'customer periods clear',
      text: `DELETE FROM retention_customer_periods t USING rc_customers v WHERE t.site_id = v.site_id AND t.customer_id = v.customer_id`,
      values: [],
    },
    zoneClearStep('customer cohort zone change clear', 'rc_zone',
      ['retention_customer_cohort_counts', 'retention_customer_cohort_money', 'retention_customer_periods']),
  ];
}

/** After the slots and first-order rows are current: put the customers back. */
export function customerCohortAddSteps(): Step[] {
  return [
    zoneMembersStep('customer cohort members of zone changes', 'rc_zone', 'rc_customers', 'retention_customer_first', 'customer_id'),
    { name: 'customer cohort members analyze again', text: `ANALYZE rc_customers`, values: [] },
    {
      // A slot lies in one local day (sql/092); periods with a paid order only.
      name: 'customer periods',
      text: `INSERT INTO retention_customer_periods (site_id, customer_id, grain, period, first_day)
             SELECT s.site_id, s.customer_id, g.grain, date_trunc(g.grain, s.slot AT TIME ZONE z.tz)::date, min((s.slot AT TIME ZONE z.tz)::date)
             FROM rc_customers v
             JOIN retention_customer_slots s ON s.site_id = v.site_id AND s.customer_id = v.customer_id
             JOIN rc_zone z ON z.site_id = v.site_id
             CROSS JOIN (VALUES ('week'), ('month')) AS g(grain)
             WHERE s.orders > 0
             GROUP BY 1, 2, 3, 4`,
      values: [],
    },
    { name: 'customer cohort counts add', text: addSql(COUNTS, countsContribution('rc_customers')), values: [] },
    { name: 'customer cohort money add', text: addSql(MONEY, moneyContribution('rc_customers')), values: [] },
    zoneSetStep('customer cohort zones set', 'rc_zone', 'retention_customer_cohort_zones'),
  ];
}

/**
 * The fast read: the zone, customers per (cohort, period, segment) with a paid order before the
 * end of `to`, and net money in `currency` per (cohort, period, segment) before it, in one
 * statement (one snapshot: never counts of another zone).
 */
export function customerCohortCountsSql(siteId: string, grain: CohortGrain, dim: string, p: RetentionPeriods, endDate: string, currency: string) {
  const where = `site_id = $1::bigint AND grain = $2::text AND dim = $3::text AND cohort >= $4::date AND cohort < $5::date`;
  return {
    text: `SELECT (SELECT tz FROM retention_customer_cohort_zones WHERE site_id = $1::bigint) AS "zone",
                  coalesce((SELECT json_agg(json_build_array(r.cohort, r.period, r.seg, r.n))
                            FROM (SELECT cohort, period, seg, sum(customers)::int AS n FROM retention_customer_cohort_counts
                                  WHERE ${where} AND first_day < $5::date GROUP BY cohort, period, seg) r), '[]'::json) AS "rows",
                  coalesce((SELECT json_agg(json_build_array(m.cohort, m.period, m.seg, m.net))
                            FROM (SELECT cohort, date_trunc($2::text, day)::date AS period, seg, sum(net)::text AS net
                                  FROM retention_customer_cohort_money
                                  WHERE ${where} AND day < $5::date AND currency = $6::bpchar GROUP BY 1, 2, 3) m), '[]'::json) AS "money"`,
    values: [siteId, grain, dim, p.labels[0], endDate, currency],
  };
}

export type CohortMoneyRow = [cohort: string, period: string, seg: string, net: string];

/** Rows of customerCohortCountsSql → the report's activity rows (counts, then money). */
export function customerCountsToActivity(rows: CohortCountRow[], money: CohortMoneyRow[], p: RetentionPeriods) {
  const net = cohortCountsToActivity(money.map(([c, period, seg]) => [c, period, seg, 0]), p)
    .map((r, i) => ({ ...r, net: money[i]![3] }));
  return [...cohortCountsToActivity(rows, p), ...net];
}
