import type { FunnelDefinition } from './schema.ts';
import { globToRegexSource } from './glob.ts';
import { SEARCH_WATERMARK } from '../search/rollup.ts';

/**
 * The funnel's SQL (§4.1), computed in PostgreSQL: each unit's activities (pageviews, events,
 * linked paid orders) are gathered into arrays sorted by (time, id COLLATE "C") with a step
 * bitmask, and `funnel_walk` (sql/080) finds the depth-setting attempt per unit. Nothing but the
 * per-step aggregates (or the requested people) comes back to Node.
 *
 * Index use: pageviews/events are read by (site_id, occurred_at) within the range. When the
 * funnel is neither strict nor session-with-orders only matching rows are kept (the mask is
 * computed on the scan), so the arrays are small. Orders: (site_id, created_at); the uid link
 * reads the visitors that sent a `uid` equal to a paid order's customer_id.
 */
export interface QueryText {
  text: string;
  values: unknown[];
}

export interface FunnelQueryInput {
  siteId: string;
  start: Date;
  end: Date;
  definition: FunnelDefinition;
  breakdown?: string;
}

export const BREAKDOWN_COLUMNS: Record<string, { pageviews: string; events: string }> = {
  channel: { pageviews: 'channel', events: 'channel' },
  device: { pageviews: 'device', events: 'device' },
  country: { pageviews: 'country', events: 'country' },
  browser: { pageviews: 'browser', events: 'browser' },
  // events carry no UTM columns: their value is missing, i.e. `(none)`
  utm_source: { pageviews: 'utm_source', events: 'NULL::text' },
  utm_campaign: { pageviews: 'utm_campaign', events: 'NULL::text' },
};

export interface StepMasks {
  pvMask: string;
  evMask: string;
  orderMask: number;
}

/** The SQL expressions giving a pageview's and an event's step bitmask (bit k = step k), and the order steps' bits. */
export function stepMasks(d: FunnelDefinition, param: (v: unknown, type: string) => string): StepMasks {
  const pvTerms: string[] = [];
  const evTerms: string[] = [];
  const orderBits: number[] = [];
  d.steps.forEach((step, k) => {
    const bit = 1 << k;
    if (step.type === 'pageview') pvTerms.push(`CASE WHEN path ~ ${param(globToRegexSource(step.path), 'text')} THEN ${bit} ELSE 0 END`);
    else if (step.type === 'event') {
      const props = step.props && Object.keys(step.props).length ? ` AND props @> ${param(JSON.stringify(step.props), 'jsonb')}` : '';
      evTerms.push(`CASE WHEN name = ${param(step.name, 'text')}${props} THEN ${bit} ELSE 0 END`);
    } else orderBits.push(bit);
  });
  return {
    pvMask: pvTerms.length ? pvTerms.join(' | ') : '0',
    evMask: evTerms.length ? evTerms.join(' | ') : '0',
    orderMask: orderBits.reduce((a, b) => a | b, 0),
  };
}

/** Builds the CTE chain ending in `walked` (one row per unit that entered). */
export function funnelCte(input: FunnelQueryInput): QueryText {
  const { definition: d } = input;
  const values: unknown[] = [input.siteId, input.start, input.end];
  const param = (v: unknown, type: string) => {
    values.push(v);
    return `$${values.length}::${type}`;
  };
  const { pvMask, evMask, orderMask } = stepMasks(d, param);
  const hasOrders = orderMask !== 0;
  const session = d.unit === 'session';
  // Strict needs every pageview/event (a non-matching one interrupts); sessions with orders
  // need them to find each order's session. Otherwise only matching rows matter.
  const keepAll = d.order === 'strict' || (session && hasOrders);
  const keepFilter = keepAll ? '' : 'WHERE mask <> 0';
  const col = input.breakdown ? BREAKDOWN_COLUMNS[input.breakdown] : undefined;
  const range = 'site_id = $1::bigint AND occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz';
  const activity = `
    SELECT * FROM (
      SELECT visitor_id, session_id, occurred_at AS ts, event_id::text AS id, false AS is_order,
             (${pvMask}) AS mask, ${col ? col.pageviews : 'NULL::text'} AS bval, user_id AS uid
      FROM pageviews WHERE ${range}
    ) p ${keepFilter}
    UNION ALL
    SELECT * FROM (
      SELECT visitor_id, session_id, occurred_at AS ts, event_id::text AS id, false AS is_order,
             (${evMask}) AS mask, ${col ? col.events : 'NULL::text'} AS bval, user_id AS uid
      FROM events WHERE ${range}
    ) e ${keepFilter}`;
  // The all-time uid link (§4.1) without a scan of every raw row: search_visitor_uids (sql/111,
  // the search-rollups job's table of every uid sent on a pageview or event, erase-covered by
  // src/reports/search/erase-visitor.ts) holds the rows up to the job's watermark, and only the
  // raw rows past it are read. One statement, one snapshot: the job moves table and watermark in
  // one transaction, so no row is missed or counted twice. A missing watermark row reads all raw
  // rows (the old query). 3M demo, 30 days, 2026-12-04: the raw-row link was 2.1 s of 11 s
  // (EXPLAIN ANALYZE, 141,906 buffers); the table read + tail ≈ 0.1 s.
  // Built only with an order step: an unused parameter would fail the bind ("supplies 6 parameters").
  const linkSeq = hasOrders ? `coalesce((SELECT seq FROM rollup_watermarks WHERE name = ${param(SEARCH_WATERMARK, 'text')}), 0)` : '';
  const orders = hasOrders ? `
  paid AS (
    SELECT id, customer_id, visitor_id, created_at, currency, total FROM orders
    WHERE site_id = $1::bigint AND created_at >= $2::timestamptz AND created_at < $3::timestamptz
      AND status IN ('paid', 'fulfilled', 'refunded')
  ),
  customers AS (SELECT DISTINCT customer_id FROM paid WHERE customer_id IS NOT NULL),
  uids AS (
    SELECT visitor_id, user_id FROM search_visitor_uids
    WHERE site_id = $1::bigint AND user_id IN (SELECT customer_id FROM customers)
    UNION
    SELECT visitor_id, user_id FROM pageviews
    WHERE site_id = $1::bigint AND user_id IN (SELECT customer_id FROM customers) AND ingest_seq > ${linkSeq}
    UNION
    SELECT visitor_id, user_id FROM events
    WHERE site_id = $1::bigint AND user_id IN (SELECT customer_id FROM customers) AND ingest_seq > ${linkSeq}
  ),
  links AS (
    SELECT id, visitor_id, created_at, customer_id FROM paid WHERE visitor_id IS NOT NULL
    UNION
    SELECT p.id, u.visitor_id, p.created_at, p.customer_id FROM paid p JOIN uids u ON u.user_id = p.customer_id
  ),` : '';
  const orderRows = hasOrders
    ? `UNION ALL SELECT visitor_id, NULL::text, created_at, id, true, ${orderMask}, NULL::text, customer_id FROM links`
    : '';
  // unit=session: an order takes the session of the visitor's latest pageview/event at most
  // 30 minutes before it (ties: the pageview/event first), found by a running count of
  // non-order rows (each group starts with the row whose session it inherits).
  const rows = session && hasOrders ? `,
  sorted AS (
    SELECT *, count(*) FILTER (WHERE NOT is_order) OVER (PARTITION BY visitor_id ORDER BY ts, is_order, id COLLATE "C" ROWS UNBOUNDED PRECEDING) AS g
    FROM activity
  ),
  inherited AS (
    SELECT *, first_value(session_id) OVER w AS sess, first_value(ts) OVER w AS sess_ts
    FROM sorted WINDOW w AS (PARTITION BY visitor_id, g ORDER BY ts, is_order, id COLLATE "C")
  ),
  unit_rows AS (
    SELECT visitor_id, CASE WHEN is_order THEN sess ELSE session_id END AS session_id, ts, id, is_order, mask, bval, uid
    FROM inherited
    WHERE ${d.order === 'strict' ? '' : 'mask <> 0 AND '}(NOT is_order OR (g > 0 AND ts - sess_ts <= interval '30 minutes'))
  )` : `,
  unit_rows AS (SELECT * FROM activity)`;
  const unitKey = session ? 'visitor_id, session_id' : 'visitor_id';
  const callWalk = `SELECT * FROM funnel_walk(u.us, u.masks, u.is_order, ${d.steps.length}, ${d.window_seconds}::bigint * 1000000, '${d.order}')`;
  // ordered/strict: a unit with no step-2 match has depth 1 from its first step-1 match (every
  // attempt reaches depth 1; the earliest wins), so the plpgsql walk runs only for units with a
  // step-2 match (the gate is a one-time filter: funnel_walk is not called for the others).
  // 3M demo, 30 days, 2026-12-04: 25,696 walks instead of 77,515 (the walks were 1.6 s of 5.5 s
  // under EXPLAIN ANALYZE).
  const walk = d.order === 'unordered' ? callWalk : `
      ${callWalk} WHERE u.bits & 2 <> 0
      UNION ALL
      SELECT 1, f.i, ARRAY[f.i], ARRAY[0], ARRAY[NULL::double precision]
      FROM (SELECT min(i) AS i FROM generate_subscripts(u.masks, 1) AS i WHERE u.masks[i] & 1 <> 0) f
      WHERE u.bits & 2 = 0`;
  const startBits = d.order === 'unordered' ? (1 << d.steps.length) - 1 : 1;
  const text = `WITH${orders}
  activity AS (${activity}
    ${orderRows}
  )${rows},
  units AS (
    SELECT ${session ? 'visitor_id, session_id' : 'visitor_id, NULL::text AS session_id'},
      array_agg((extract(epoch FROM ts) * 1000000)::bigint ORDER BY ts, id COLLATE "C") AS us,
      array_agg(mask ORDER BY ts, id COLLATE "C") AS masks,
      array_agg(is_order ORDER BY ts, id COLLATE "C") AS is_order,
      array_agg(id ORDER BY ts, id COLLATE "C") AS ids,
      array_agg(bval ORDER BY ts, id COLLATE "C") AS bvals,
      max(uid) AS customer_id,
      bit_or(mask) AS bits
    FROM unit_rows GROUP BY ${unitKey}
    HAVING bit_or(mask) & ${startBits} <> 0
  ),
  walked AS (
    SELECT u.visitor_id, u.session_id, w.depth, w.hits, w.hit_steps, w.gaps,
      coalesce(u.bvals[w.start_idx], '(none)') AS bkey,
      to_timestamp(u.us[w.start_idx]::double precision / 1000000) AS entered_at,
      u.ids, u.is_order, u.customer_id
    FROM units u
    CROSS JOIN LATERAL (${walk}) w
    WHERE w.depth > 0
  )`;
  return { text, values };
}
