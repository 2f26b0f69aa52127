/**
 * SQL of one traffic-rollup increment (src/reports/overview/traffic-rollup.ts runs them in order, in ONE
 * transaction together with the watermark update, so an interrupted run leaves nothing behind).
 * Builders return `{text, values}`; temp tables live until COMMIT/ROLLBACK.
 */

export interface Sql {
  text: string;
  values: unknown[];
}

/** Dimension numbers stored in traffic_rollups.dim (sql/030); key hashes in visitor_days.keys (sql/050). */
export const DIMS = {
  total: 0,
  page: 1,
  referrer: 2,
  channel: 3,
  utm_source: 4,
  utm_medium: 5,
  utm_campaign: 6,
  country: 7,
  browser: 8,
  os: 9,
  device: 10,
} as const;

/** `(dim, key)` pairs of a row (pageview, collapsed pageviews or session); '' = none; page null = no page dim. */
function dimValues(a: string, page: string | null): string {
  return `(VALUES (0::smallint, ''::text), ${page ? `(1, ${a}.${page}), ` : ''}(2, coalesce(${a}.ref_domain, '')), (3, coalesce(${a}.channel, '')),
    (4, coalesce(${a}.utm_source, '')), (5, coalesce(${a}.utm_medium, '')), (6, coalesce(${a}.utm_campaign, '')),
    (7, coalesce(${a}.country, '')), (8, coalesce(${a}.browser, '')), (9, coalesce(${a}.os, '')), (10, coalesce(${a}.device, '')))`;
}

/** Rows carry hb (UTC hour), db (local day of the site) and mb (its local month): pick the one of grain g. */
export const bucketOf = (a: string) => `CASE g.grain WHEN 'h' THEN ${a}.hb WHEN 'd' THEN ${a}.db ELSE ${a}.mb END`;
export const GRAINS = `(VALUES ('h'::char(1)), ('d'::char(1)), ('m'::char(1))) AS g(grain)`;
export const ORIGIN = `timestamptz '2000-01-01 00:00+00'`;
/** Bit of visitor_days.hours for the hour hb of local day db (sql/050). */
export const hourBit = (hb: string, db: string) => `(1::bigint << (extract(epoch FROM ${hb} - date_bin('1 hour', ${db}, ${ORIGIN})) / 3600)::int)`;

/**
 * Buckets of a timestamptz column without a time-zone conversion per row: date_trunc(…, tz)
 * costs ~5–10 µs a call, which made the first version of this job run at ~4k rows/s (bench
 * 2026-11-22: 20.8 s of 55 s in the pageview step for 140k rows). Every real zone offset is a
 * multiple of 15 minutes, so the local day of an instant is the local day of its 15-minute slot:
 * convert each distinct (site, slot) once and join.
 */
function withBuckets(source: string, ts: string, columns: string): string {
  return `WITH src AS (SELECT ${columns}, date_bin('15 minutes', ${ts}, timestamptz '2000-01-01 00:00+00') AS slot FROM ${source}),
    slots AS (SELECT DISTINCT site_id, slot FROM src),
    slot_days AS (SELECT sl.site_id, sl.slot, date_trunc('day', sl.slot, st.timezone) AS db, date_trunc('month', sl.slot, st.timezone) AS mb
      FROM slots sl JOIN sites st ON st.id = sl.site_id)
    SELECT src.*, date_bin('1 hour', src.slot, timestamptz '2000-01-01 00:00+00') AS hb, sd.db, sd.mb
    FROM src JOIN slot_days sd USING (site_id, slot)`;
}

/**
 * The new pageviews (lo, hi]. A referrer on the site's own host (and ingestion's channel
 * 'internal') is navigation inside the site, not a source: stored as none, so top referrers and
 * channels list where visits come from. The BRIN index on ingest_seq keeps this a range scan.
 */
export function selectNewPageviews(lo: number, hi: number): Sql {
  return {
    text: `CREATE TEMP TABLE new_pv ON COMMIT DROP AS
      ${withBuckets(`pageviews p WHERE p.ingest_seq > $1::bigint AND p.ingest_seq <= $2::bigint`, 'p.occurred_at',
        `p.site_id, p.occurred_at, p.ingest_seq, p.visitor_id, hashtextextended(p.visitor_id, 0) AS visitor_key,
             p.session_id, p.path, CASE WHEN p.ref_domain = p.host OR p.channel = 'internal' THEN NULL ELSE p.ref_domain END AS ref_domain,
             NULLIF(p.channel, 'internal') AS channel, p.utm_source, p.utm_medium, p.utm_campaign, p.country, p.browser, p.os, p.device`)}`,
    values: [lo, hi],
  };
}

/**
 * new_pv collapsed to one row per (bucket, visitor, non-page attributes): the attributes other
 * than the page rarely change within a visit, so the ~10 dimension rows per pageview become ~10
 * per visitor-hour (bench: 7 pageviews per visit → about 5× fewer rows to aggregate).
 */
export function collapseNewPageviews(): Sql {
  return {
    text: `CREATE TEMP TABLE new_agg ON COMMIT DROP AS
      SELECT site_id, hb, db, mb, visitor_key, ref_domain, channel, utm_source, utm_medium, utm_campaign, country, browser, os, device,
        count(*) AS n
      FROM new_pv GROUP BY site_id, hb, db, mb, visitor_key, ref_domain, channel, utm_source, utm_medium, utm_campaign, country, browser, os, device`,
    values: [],
  };
}

/** (dim, key) rows of the collapsed table (every dimension but the page) and of new_pv (page). */
export const AGG_DIMS = `SELECT a.site_id, a.hb, a.db, a.mb, a.visitor_key, a.n, d.dim, d.key FROM new_agg a
  CROSS JOIN LATERAL ${dimValues('a', null)} AS d(dim, key)`;
export const PAGE_DIM = `SELECT p.site_id, p.hb, p.db, p.mb, p.visitor_key, 1::bigint AS n, 1::smallint AS dim, p.path AS key FROM new_pv p`;

/**
 * Summed per (hour, day, month, dim, key) first, then spread over the three grains: the grain
 * fan-out (×3) applies to the aggregated rows, not to every dimension row of every pageview.
 */
export function addPageviewCounts(): Sql {
  return {
    text: `INSERT INTO traffic_rollups (site_id, grain, bucket, dim, key, pageviews)
      SELECT x.site_id, g.grain, ${bucketOf('x')}, x.dim, x.key, sum(x.n)
      FROM (SELECT y.site_id, y.hb, y.db, y.mb, y.dim, y.key, sum(y.n) AS n FROM (${AGG_DIMS} UNION ALL ${PAGE_DIM}) y
            GROUP BY 1, 2, 3, 4, 5, 6) x CROSS JOIN ${GRAINS}
      GROUP BY 1, 2, 3, 4, 5
      ON CONFLICT (site_id, grain, dim, bucket, key)
      DO UPDATE SET pageviews = traffic_rollups.pageviews + EXCLUDED.pageviews`,
    values: [],
  };
}

const SESSION_COLS = `site_id, session_id, visitor_id, visitor_key, started_at, ended_at, pageviews, entry_path, exit_path,
  ref_domain, channel, utm_source, utm_medium, utm_campaign, country, device, browser, os`;

/**
 * Sessions touched by the new rows: their old state (to subtract its contribution), then the
 * merged state (upsert). Entry = earliest row (ties: lowest ingest_seq), exit = latest (ties:
 * highest); rows already folded in all have lower sequence numbers than new ones, hence the
 * strict `<` for entry and `>=` for exit.
 */
export function snapshotOldSessions(): Sql {
  return {
    text: `CREATE TEMP TABLE old_s ON COMMIT DROP AS
      SELECT s.* FROM sessions s
      WHERE (s.site_id, s.session_id) IN (SELECT DISTINCT site_id, session_id FROM new_pv)`,
    values: [],
  };
}

export function upsertSessions(): Sql {
  const entry = ['visitor_id', 'visitor_key', 'entry_path', 'ref_domain', 'channel', 'utm_source', 'utm_medium', 'utm_campaign', 'country', 'device', 'browser', 'os'];
  return {
    text: `CREATE TEMP TABLE new_s ON COMMIT DROP AS
      WITH agg AS (
        SELECT site_id, session_id, min(occurred_at) AS started_at, max(occurred_at) AS ended_at, count(*)::int AS pageviews
        FROM new_pv GROUP BY site_id, session_id
      ), first AS (
        SELECT DISTINCT ON (site_id, session_id) site_id, session_id, visitor_id, visitor_key, path AS entry_path,
          ref_domain, channel, utm_source, utm_medium, utm_campaign, country, device, browser, os
        FROM new_pv ORDER BY site_id, session_id, occurred_at, ingest_seq
      ), last AS (
        SELECT DISTINCT ON (site_id, session_id) site_id, session_id, path AS exit_path
        FROM new_pv ORDER BY site_id, session_id, occurred_at DESC, ingest_seq DESC
      ), up AS (
        INSERT INTO sessions (${SESSION_COLS})
        SELECT a.site_id, a.session_id, f.visitor_id, f.visitor_key, a.started_at, a.ended_at, a.pageviews, f.entry_path, l.exit_path,
          f.ref_domain, f.channel, f.utm_source, f.utm_medium, f.utm_campaign, f.country, f.device, f.browser, f.os
        FROM agg a JOIN first f USING (site_id, session_id) JOIN last l USING (site_id, session_id)
        ON CONFLICT (site_id, session_id) DO UPDATE SET
          ${entry.map((c) => `${c} = CASE WHEN EXCLUDED.started_at < sessions.started_at THEN EXCLUDED.${c} ELSE sessions.${c} END`).join(',\n          ')},
          exit_path = CASE WHEN EXCLUDED.ended_at >= sessions.ended_at THEN EXCLUDED.exit_path ELSE sessions.exit_path END,
          started_at = least(sessions.started_at, EXCLUDED.started_at),
          ended_at = greatest(sessions.ended_at, EXCLUDED.ended_at),
          pageviews = sessions.pageviews + EXCLUDED.pageviews
        RETURNING ${SESSION_COLS}
      )
      SELECT * FROM up`,
    values: [],
  };
}

/**
 * visits / bounces / duration by the session's start bucket and entry attributes: + the merged
 * state, − the state before (a late earlier pageview can move a session to another bucket or
 * turn a bounce into a visit of two pages).
 */
export function applySessionDeltas(): Sql {
  return {
    text: `INSERT INTO traffic_rollups (site_id, grain, bucket, dim, key, visits, bounces, duration_seconds)
      SELECT a.site_id, g.grain, ${bucketOf('a')}, a.dim, a.key, sum(a.visits), sum(a.bounces), sum(a.duration)
      FROM (
        SELECT s.site_id, s.hb, s.db, s.mb, d.dim, d.key,
          sum(s.sign) AS visits, sum(s.sign * (s.pageviews = 1)::int) AS bounces, sum(s.sign * s.duration) AS duration
        FROM (
          ${withBuckets(`(SELECT n.*, 1 AS sign FROM new_s n UNION ALL SELECT o.*, -1 FROM old_s o) x`, 'x.started_at',
            `x.*, floor(extract(epoch FROM x.ended_at - x.started_at))::bigint AS duration`)}
        ) s CROSS JOIN LATERAL ${dimValues('s', 'entry_path')} AS d(dim, key)
        GROUP BY 1, 2, 3, 4, 5, 6
      ) a CROSS JOIN ${GRAINS}
      GROUP BY 1, 2, 3, 4, 5
      HAVING sum(a.visits) <> 0 OR sum(a.bounces) <> 0 OR sum(a.duration) <> 0
      ON CONFLICT (site_id, grain, dim, bucket, key) DO UPDATE SET
        visits = traffic_rollups.visits + EXCLUDED.visits,
        bounces = traffic_rollups.bounces + EXCLUDED.bounces,
        duration_seconds = traffic_rollups.duration_seconds + EXCLUDED.duration_seconds`,
    values: [],
  };
}
