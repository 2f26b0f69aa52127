/**
 * The site-search report (src/reports/search/report.ts) computed straight from the raw `events`
 * and `pageviews` and the `orders` table, as a tool without rollups would: one set-based
 * statement per part, run concurrently by the benchmark (helper P1 wires it into
 * `npm run bench:reports` beside loadtest/bench-reports-raw.ts; same entry shape).
 *
 * Normalization in SQL: NFC, lower() under the builtin "pg_unicode_fast" collation (Unicode case
 * mapping whatever the database's locale; text out of regexp_matches is in collation "C"), NFC,
 * whitespace runs → one space, leading/trailing [[:punct:]] and whitespace stripped. POSIX
 * [[:punct:]] may also hold symbols ($, +, <…), which the product keeps (it strips Unicode \p{P}
 * only), so the numbers equal the report's on data whose queries do not start or end with a
 * symbol — the demo's and the tests' (bench-search-raw.test.ts). Needs PostgreSQL 18 (the
 * embedded one) for "pg_unicode_fast".
 * `search_params` pageviews are read with the site's setting (the first listed parameter present).
 */
type Q = { text: string; values: unknown[] };

/** JavaScript's \s (Unicode White_Space + U+FEFF, not U+0085): PostgreSQL's \s is ASCII only. */
const WS = String.raw`\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff`;
const NORM = (x: string) =>
  `nullif(regexp_replace(regexp_replace(normalize(lower(normalize(${x}, NFC) COLLATE "pg_unicode_fast"), NFC), '[${WS}]+', ' ', 'g'), '^[[:punct:]${WS}]+|[[:punct:]${WS}]+$', '', 'g'), '')`;

/** Every search in [$2, $3): (query, visitor, session, at, results). */
const SEARCHES = `searches AS (
    SELECT ${NORM(`props->>'q'`)} AS query, visitor_id, session_id, occurred_at,
      CASE WHEN jsonb_typeof(props->'results') = 'number' AND (props->>'results') ~ '^[0-9]+$' THEN (props->>'results')::bigint END AS results
    FROM events WHERE site_id = $1::bigint AND name = 'search' AND occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz
    UNION ALL
    SELECT (SELECT ${NORM('x.v')} FROM unnest(s.search_params) WITH ORDINALITY AS sp(name, i)
              CROSS JOIN LATERAL (SELECT replace(m[1], '+', ' ') AS raw FROM regexp_matches(p.url, '[?&]' || sp.name || '=([^&#]*)', 'g') AS m) r
              CROSS JOIN LATERAL (SELECT convert_from(string_agg(CASE WHEN t.tok[1] ~ '^%[0-9A-Fa-f]{2}$' THEN decode(substr(t.tok[1], 2), 'hex') ELSE convert_to(t.tok[1], 'UTF8') END, ''::bytea ORDER BY t.i), 'UTF8') AS v
                                  FROM regexp_matches(r.raw, '%[0-9A-Fa-f]{2}|[^%]+|%', 'g') WITH ORDINALITY AS t(tok, i)) x
              WHERE ${NORM('x.v')} IS NOT NULL ORDER BY sp.i LIMIT 1),
      p.visitor_id, p.session_id, p.occurred_at, NULL::bigint
    FROM pageviews p JOIN sites s ON s.id = p.site_id AND cardinality(s.search_params) > 0
    WHERE p.site_id = $1::bigint AND p.occurred_at >= $2::timestamptz AND p.occurred_at < $3::timestamptz AND strpos(p.url, '?') > 0
  ), s AS (SELECT * FROM searches WHERE query IS NOT NULL)`;

export function searchRawQueries(site: string, start: Date, end: Date, tz: string, currency = 'USD'): Q[] {
  const v = [site, start, end, tz, currency];
  const TZ = `$4::text IS NOT NULL AND $5::text IS NOT NULL`;
  return [
    // Per query: searches, searchers, zero, known; totals from the same rows.
    { text: `WITH ${SEARCHES}
        SELECT query, count(*), count(DISTINCT visitor_id), count(*) FILTER (WHERE results = 0), count(results) FROM s WHERE ${TZ}
        GROUP BY ROLLUP (query) ORDER BY 2 DESC, query COLLATE "C" LIMIT 101`, values: v },
    { text: `WITH ${SEARCHES}
        SELECT query, count(*), count(DISTINCT visitor_id) FROM s WHERE results = 0 AND ${TZ} GROUP BY query ORDER BY 2 DESC, query COLLATE "C" LIMIT 100`, values: v },
    { text: `WITH ${SEARCHES}
        SELECT count(DISTINCT visitor_id) FROM s WHERE ${TZ}`, values: v },
    // Clicked searches (a click of the query in the session at or after it: at or before the
    // session's latest click of the query) and click positions. A correlated EXISTS per search
    // took 714 s at 100 000 events; this is the set-based form a raw-SQL tool would use.
    { text: `WITH ${SEARCHES}, c AS (
          SELECT ${NORM(`props->>'q'`)} AS query, session_id, occurred_at, CASE WHEN jsonb_typeof(props->'position') = 'number' THEN (props->>'position')::float8 END AS position
          FROM events WHERE site_id = $1::bigint AND name = 'search_click'
        ), last AS (SELECT query, session_id, max(occurred_at) AS last FROM c GROUP BY 1, 2),
        pos AS (SELECT query, avg(position) AS avg FROM c WHERE occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz GROUP BY 1)
        SELECT s.query, count(*) FILTER (WHERE l.last >= s.occurred_at), min(pos.avg)
        FROM s LEFT JOIN last l ON l.query = s.query AND l.session_id = s.session_id LEFT JOIN pos ON pos.query = s.query
        WHERE ${TZ} GROUP BY s.query`, values: v },
    // Orders within 7 days after a search of the query by a linked visitor, and converters.
    { text: `WITH ${SEARCHES}, uids AS (
          SELECT DISTINCT visitor_id, user_id FROM pageviews WHERE site_id = $1::bigint AND user_id IS NOT NULL
          UNION SELECT DISTINCT visitor_id, user_id FROM events WHERE site_id = $1::bigint AND user_id IS NOT NULL
        ), paid AS (
          SELECT id, visitor_id, customer_id, total, created_at FROM orders
          WHERE site_id = $1::bigint AND status IN ('paid', 'fulfilled', 'refunded') AND currency = $5::text
            AND created_at >= $2::timestamptz AND created_at < $3::timestamptz + interval '168 hours'
        ), links AS (
          SELECT id, total, created_at, visitor_id FROM paid WHERE visitor_id IS NOT NULL
          UNION SELECT p.id, p.total, p.created_at, u.visitor_id FROM paid p JOIN uids u ON u.user_id = p.customer_id
        ), att AS (
          SELECT DISTINCT s.query, s.visitor_id, l.id, l.total FROM s JOIN links l ON l.visitor_id = s.visitor_id
           AND l.created_at >= s.occurred_at AND l.created_at <= s.occurred_at + interval '168 hours'
        )
        SELECT query, count(DISTINCT id), sum(total) FILTER (WHERE first), (SELECT count(DISTINCT visitor_id) FROM att)
        FROM (SELECT query, id, total, row_number() OVER (PARTITION BY query, id) = 1 AS first FROM att) a WHERE ${TZ} GROUP BY query`, values: v },
  ];
}
