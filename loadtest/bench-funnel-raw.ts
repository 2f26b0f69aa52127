import { globToRegexSource } from '../src/reports/funnel/glob.ts';
import type { FunnelDefinition, FunnelStep } from '../src/reports/funnel/schema.ts';

/**
 * The straightforward funnel SQL over raw rows that issue #15 measures the funnel against: the
 * way Umami's funnel query works, one self-join per step. Level 1 is every step-1 match
 * (visitor, t0); level k joins level k−1 to the matches of step k of the same visitor later
 * than level k−1's time and within the window of t0, keeping per attempt the earliest one
 * (min). Step k's count is the distinct visitors at level k. Order steps read paid orders
 * linked by visitor_id or by customer_id = a uid the visitor sent (uid link bounded to the
 * range, as a plain query would). Ordered mode, unit visitor; it gives the counts only (no
 * times, breakdown or people), and ties in time are not broken by id — a baseline, not a
 * second implementation (the tests' brute force is that).
 *
 * Used by loadtest/bench-funnel.ts and offered to bench:reports (bench-reports-features.ts).
 */
export interface RawQuery {
  text: string;
  values: unknown[];
}

const PAID = `('paid', 'fulfilled', 'refunded')`;

/** The bench funnel (issue #15 point 5): product page → add_to_cart → /checkout → paid order, 7-day window. */
export const BENCH_FUNNEL: FunnelDefinition = {
  steps: [{ type: 'pageview', path: '/products/*' }, { type: 'event', name: 'add_to_cart' }, { type: 'pageview', path: '/checkout' }, { type: 'order' }],
  window_seconds: 604_800, order: 'ordered', unit: 'visitor',
};

export function rawFunnelSelfJoinSql(siteId: string, steps: FunnelStep[], windowSeconds: number, start: Date, end: Date): RawQuery {
  const values: unknown[] = [siteId, start, end, windowSeconds];
  const range = 'site_id = $1::bigint AND occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz';
  const match = (s: FunnelStep): string => {
    if (s.type === 'order') return 'SELECT visitor_id, created_at AS t FROM links';
    if (s.type === 'pageview') {
      values.push(globToRegexSource(s.path));
      return `SELECT visitor_id, occurred_at AS t FROM pageviews WHERE ${range} AND path ~ $${values.length}::text`;
    }
    values.push(s.name);
    const name = `$${values.length}::text`;
    let props = '';
    if (s.props && Object.keys(s.props).length) {
      values.push(JSON.stringify(s.props));
      props = ` AND props @> $${values.length}::jsonb`;
    }
    return `SELECT visitor_id, occurred_at AS t FROM events WHERE ${range} AND name = ${name}${props}`;
  };
  const ctes = steps.map((s, i) => `s${i + 1} AS (${match(s)})`);
  const levels = ['l1 AS (SELECT DISTINCT visitor_id, t AS t0, t FROM s1)'];
  for (let i = 2; i <= steps.length; i++) {
    levels.push(`l${i} AS (
      SELECT l.visitor_id, l.t0, min(s.t) AS t
      FROM l${i - 1} l JOIN s${i} s ON s.visitor_id = l.visitor_id AND s.t > l.t AND s.t <= l.t0 + make_interval(secs => $4::int)
      GROUP BY l.visitor_id, l.t0)`);
  }
  const orders = steps.some((s) => s.type === 'order')
    ? `paid AS (
      SELECT id, customer_id, visitor_id, created_at FROM orders
      WHERE site_id = $1::bigint AND created_at >= $2::timestamptz AND created_at < $3::timestamptz AND status IN ${PAID}
    ),
    uids AS (
      SELECT DISTINCT visitor_id, user_id FROM pageviews WHERE ${range} AND user_id IN (SELECT customer_id FROM paid)
      UNION SELECT DISTINCT visitor_id, user_id FROM events WHERE ${range} AND user_id IN (SELECT customer_id FROM paid)
    ),
    links AS (
      SELECT visitor_id, created_at FROM paid WHERE visitor_id IS NOT NULL
      UNION SELECT u.visitor_id, p.created_at FROM paid p JOIN uids u ON u.user_id = p.customer_id
    ),`
    : '';
  const counts = steps.map((_, i) => `(SELECT count(DISTINCT visitor_id) FROM l${i + 1})::int AS "step${i + 1}"`);
  return { text: `WITH ${orders}\n${[...ctes, ...levels].join(',\n')}\nSELECT ${counts.join(', ')}`, values };
}
