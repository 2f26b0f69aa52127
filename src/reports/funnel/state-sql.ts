import { BREAKDOWNS, type FunnelDefinition } from './schema.ts';
import { BREAKDOWN_COLUMNS, stepMasks, type QueryText } from './query.ts';

/**
 * The SQL that (re)computes a saved funnel's attempts (sql/081) for a set of visitors and time
 * spans, in one statement: delete the visitors' attempts starting in their span, walk their
 * activity again (funnel_attempt_walk) and insert what it keeps.
 *
 * Spans are quarter-hour aligned (BUCKET_US) so that the walk's same-bucket pruning sees every
 * attempt of each bucket it writes. An attempt starting in [lo, hi) needs the activity in
 * [lo − 30 min, hi + window]: forward to its window's end, and back 30 minutes for the
 * pageview that gives an order its session (unit=session).
 *
 * scope 'all' (first build): every visitor of the site, all time. scope 'changes': the visitors
 * in the temporary table funnel_changes (visitor_id, lo_us, hi_us), one row each, and only
 * raw rows inside [minLo − 30 min, maxHi + window] so the scan prunes partitions.
 */
export const BUCKET_US = 900_000_000; // 15 minutes: every IANA zone's midnight falls on one
export const SESSION_GAP_US = 1_800_000_000; // an order's session: a pageview ≤ 30 min before it

export interface RecomputeInput {
  siteId: string;
  funnelId: string;
  definition: FunnelDefinition;
  /** Omitted: every visitor, all time. */
  changes?: { minLoUs: bigint; maxHiUs: bigint };
}

const FAR_PAST = -(2n ** 62n);
const FAR_FUTURE = 2n ** 62n;

export function recomputeAttemptsSql(input: RecomputeInput): QueryText {
  const d = input.definition;
  const windowUs = BigInt(d.window_seconds) * 1_000_000n;
  const values: unknown[] = [input.siteId, input.funnelId];
  const param = (v: unknown, type: string) => {
    values.push(v);
    return `$${values.length}::${type}`;
  };
  const { pvMask, evMask, orderMask } = stepMasks(d, param);
  const hasOrders = orderMask !== 0;
  const session = d.unit === 'session';
  const keepAll = d.order === 'strict' || (session && hasOrders);
  const changes = input.changes;
  const readLo = changes ? changes.minLoUs - BigInt(SESSION_GAP_US) : FAR_PAST;
  const readHi = changes ? changes.maxHiUs + windowUs + 1n : FAR_FUTURE;
  const lo = param(readLo.toString(), 'bigint');
  const hi = param(readHi.toString(), 'bigint');
  const windowParam = param(windowUs.toString(), 'bigint');
  // Partition pruning wants timestamps; the µs comparison below keeps exactness.
  const tsRange = changes
    ? `AND occurred_at >= to_timestamp(${lo}::float8 / 1000000) - interval '1 second' AND occurred_at < to_timestamp(${hi}::float8 / 1000000) + interval '1 second'`
    : '';
  const visitorJoin = changes ? 'JOIN funnel_changes c USING (visitor_id)' : '';
  const visitorSpan = changes ? `AND r.us >= c.lo_us - ${SESSION_GAP_US} AND r.us <= c.hi_us + ${windowParam}` : '';
  const bcols = (table: 'pageviews' | 'events') => BREAKDOWNS.map((b) => `${BREAKDOWN_COLUMNS[b]![table]} AS b_${b}`).join(', ');
  const raw = (table: 'pageviews' | 'events', mask: string) => `
    SELECT r.* FROM (
      SELECT visitor_id, session_id, (extract(epoch FROM occurred_at) * 1000000)::bigint AS us, event_id::text AS id,
             false AS is_order, (${mask}) AS mask, ${bcols(table)}
      FROM ${table} WHERE site_id = $1::bigint ${tsRange}
    ) r ${visitorJoin} WHERE true ${keepAll ? '' : 'AND r.mask <> 0'} ${visitorSpan}`;
  const nullB = BREAKDOWNS.map((b) => `NULL::text AS b_${b}`).join(', ');
  const orderRows = hasOrders ? `
    UNION ALL
    SELECT l.visitor_id, NULL::text, l.at_us, l.order_id, true, ${orderMask}, ${nullB}
    FROM funnel_order_links l ${changes ? 'JOIN funnel_changes c USING (visitor_id)' : ''}
    WHERE l.site_id = $1::bigint AND l.funnel_id = $2::bigint AND l.at_us >= ${lo} AND l.at_us < ${hi}
      ${changes ? `AND l.at_us >= c.lo_us - ${SESSION_GAP_US} AND l.at_us <= c.hi_us + ${windowParam}` : ''}` : '';
  const bnames = BREAKDOWNS.map((b) => `b_${b}`).join(', ');
  // unit=session: an order takes the session of the visitor's latest pageview/event at most 30
  // minutes before it (as query.ts), and that pageview's time is the attempt's anchor.
  const unitRows = session && hasOrders ? `,
  sorted AS (
    SELECT *, count(*) FILTER (WHERE NOT is_order) OVER (PARTITION BY visitor_id ORDER BY us, is_order, id COLLATE "C" ROWS UNBOUNDED PRECEDING) AS g
    FROM activity
  ),
  inherited AS (
    SELECT *, first_value(session_id) OVER w AS sess, first_value(us) OVER w AS sess_us
    FROM sorted WINDOW w AS (PARTITION BY visitor_id, g ORDER BY us, is_order, id COLLATE "C")
  ),
  unit_rows AS (
    SELECT visitor_id, CASE WHEN is_order THEN sess ELSE session_id END AS session_id, us, id, is_order, mask,
      CASE WHEN is_order THEN sess_us ELSE us END AS anchor, ${bnames}
    FROM inherited
    WHERE ${d.order === 'strict' ? '' : 'mask <> 0 AND '}(NOT is_order OR (g > 0 AND us - sess_us <= ${SESSION_GAP_US}))
  )` : `,
  unit_rows AS (SELECT visitor_id, session_id, us, id, is_order, mask, us AS anchor, ${bnames} FROM activity)`;
  const startBits = d.order === 'unordered' ? (1 << d.steps.length) - 1 : 1;
  const ord = 'ORDER BY us, id COLLATE "C"';
  const spanLo = changes ? 'c.lo_us' : FAR_PAST.toString();
  const spanHi = changes ? 'c.hi_us' : FAR_FUTURE.toString();
  const text = `WITH
  activity AS (${raw('pageviews', pvMask)}
    UNION ALL ${raw('events', evMask)}${orderRows}
  )${unitRows},
  units AS (
    SELECT visitor_id, ${session ? 'session_id' : "''::text AS session_id"},
      array_agg(us ${ord}) AS us, array_agg(mask ${ord}) AS masks, array_agg(is_order ${ord}) AS is_order,
      array_agg(id ${ord}) AS ids, array_agg(anchor ${ord}) AS anchors,
      ${BREAKDOWNS.map((b) => `array_agg(b_${b} ${ord}) AS b_${b}`).join(', ')}
    FROM unit_rows GROUP BY visitor_id${session ? ', session_id' : ''}
    HAVING bit_or(mask) & ${startBits} <> 0
  ),
  -- runs whether referenced or not; it and the INSERT share one snapshot, so it removes only
  -- the old rows
  cleared AS (
    DELETE FROM funnel_attempts a ${changes ? 'USING funnel_changes c' : ''}
    WHERE a.site_id = $1::bigint AND a.funnel_id = $2::bigint
      ${changes ? 'AND a.visitor_id = c.visitor_id AND a.start_us >= c.lo_us AND a.start_us < c.hi_us' : ''}
    RETURNING 1
  )
  INSERT INTO funnel_attempts (site_id, funnel_id, visitor_id, session_id, start_us, start_id, anchor_us, hits_us, hit_steps, order_hits, bvals)
  SELECT $1::bigint, $2::bigint, u.visitor_id, u.session_id, u.us[w.start_idx], u.ids[w.start_idx], u.anchors[w.start_idx],
    ARRAY(SELECT u.us[h] FROM unnest(w.hits) WITH ORDINALITY AS x(h, o) ORDER BY o),
    w.hit_steps::smallint[],
    CASE WHEN EXISTS (SELECT 1 FROM unnest(w.hits) AS x(h) WHERE u.is_order[h]) THEN ARRAY(SELECT CASE WHEN u.is_order[h] THEN u.ids[h] END FROM unnest(w.hits) WITH ORDINALITY AS x(h, o) ORDER BY o) END,
    ARRAY[${BREAKDOWNS.map((b) => `u.b_${b}[w.start_idx]`).join(', ')}]
  FROM units u ${changes ? 'JOIN funnel_changes c USING (visitor_id)' : ''}
  CROSS JOIN LATERAL funnel_attempt_walk(u.us, u.masks, u.is_order, ${d.steps.length}, ${windowParam}, ${param(d.order, 'text')}, ${BUCKET_US}, ${spanLo}, ${spanHi}) w
  `;
  return { text, values };
}
