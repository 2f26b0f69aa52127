import type pg from 'pg';
import { firstFrame } from './fingerprint.ts';
import { ERROR_GROUPS_WATERMARK, relinkErrorPeopleSql } from './groups-rollup.ts';

/**
 * Erasing visitors from the error groups (contract §8; src/privacy runs it). Per-slot occurrence
 * counts are additive: the erased visitors' folded occurrences (at or below the error-groups
 * watermark, locked so no batch runs in between) are subtracted from their (slot, group, browser)
 * rows; their (visitor, session) rows go and the chains they were in are re-linked. first/last seen and the latest sample (message, stack,
 * file, line) are not additive, so each affected group is recomputed from its remaining folded
 * occurrences; a group left with none is deleted (its message and stack were only the erased
 * person's). Input: the temp table `er_err` (src/privacy/raw-rows.ts), before the raw delete.
 */
export async function eraseVisitorsFromErrorGroups(client: pg.ClientBase, siteId: string, visitorIds: string[]): Promise<{ groupsDeleted: number }> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('tally:error-groups'))`);
  const wm = await client.query<{ seq: string }>({
    text: `SELECT seq::text AS seq FROM rollup_watermarks WHERE name = $1::text FOR UPDATE`,
    values: [ERROR_GROUPS_WATERMARK],
  });
  const folded = wm.rows[0]?.seq ?? '0';
  await client.query({
    text: `CREATE TEMP TABLE er_eg ON COMMIT DROP AS
           SELECT e.site_id, g.id AS group_id, g.fingerprint, tally_slot(e.occurred_at) AS slot, coalesce(e.browser, 'unknown') AS browser, count(*) AS n
           FROM er_err e JOIN error_groups g ON g.site_id = e.site_id AND g.fingerprint = e.fingerprint
           WHERE e.ingest_seq <= $1::bigint GROUP BY 1, 2, 3, 4, 5`,
    values: [folded],
  });
  const on = `t.site_id = d.site_id AND t.group_id = d.group_id AND t.slot = d.slot AND t.browser = d.browser`;
  await client.query(`UPDATE error_group_slots t SET occurrences = t.occurrences - d.n FROM er_eg d WHERE ${on}`);
  await client.query(`DELETE FROM error_group_slots t USING er_eg d WHERE ${on} AND t.occurrences = 0`);
  // The deleted pairs' chains are re-linked (sql/074): a session key shared with another visitor
  // keeps its other rows, whose predecessor may have been an erased row.
  await client.query(`CREATE TEMP TABLE er_egv (site_id bigint, group_id bigint, visitor_key bigint, session_key bigint) ON COMMIT DROP`);
  await client.query({
    text: `WITH d AS (DELETE FROM error_group_visitors t USING (SELECT DISTINCT site_id, group_id, slot FROM er_eg) d
                      WHERE t.site_id = d.site_id AND t.group_id = d.group_id AND t.slot = d.slot
                        AND t.visitor_key = ANY (SELECT hashtextextended(v, 0) FROM unnest($1::text[]) v)
                      RETURNING t.site_id, t.group_id, t.visitor_key, t.session_key)
           INSERT INTO er_egv SELECT site_id, group_id, visitor_key, session_key FROM d`,
    values: [visitorIds],
  });
  for (const text of relinkErrorPeopleSql('er_egv')) await client.query(text);
  // The remaining occurrences of each affected group (the erased rows are still there: left out).
  const rest = await client.query<{ groupId: string; firstSeen: Date | null; lastSeen: Date | null; message: string | null; stack: string | null; file: string | null; line: number | null; seq: string | null }>({
    text: `SELECT g.group_id::text AS "groupId", a.first_seen AS "firstSeen", a.last_seen AS "lastSeen",
                  l.message, l.stack, l.file, l.line, l.ingest_seq::text AS seq
           FROM (SELECT DISTINCT site_id, group_id, fingerprint FROM er_eg) g
           LEFT JOIN LATERAL (SELECT min(occurred_at) AS first_seen, max(occurred_at) AS last_seen FROM errors e
                              WHERE e.site_id = g.site_id AND e.fingerprint = g.fingerprint AND e.ingest_seq <= $2::bigint
                                AND NOT (e.visitor_id = ANY ($3::text[]))) a ON true
           LEFT JOIN LATERAL (SELECT e.message, e.stack, e.file, e.line, e.ingest_seq FROM errors e
                              WHERE e.site_id = g.site_id AND e.fingerprint = g.fingerprint AND e.ingest_seq <= $2::bigint
                                AND NOT (e.visitor_id = ANY ($3::text[]))
                              ORDER BY e.occurred_at DESC, e.ingest_seq DESC LIMIT 1) l ON true
           WHERE g.site_id = $1::bigint`,
    values: [siteId, folded, visitorIds],
  });
  const gone = rest.rows.filter((r) => r.seq === null).map((r) => r.groupId);
  const kept = rest.rows.filter((r) => r.seq !== null);
  if (gone.length) {
    await client.query({ text: `DELETE FROM error_groups WHERE site_id = $1::bigint AND id = ANY ($2::bigint[])`, values: [siteId, gone] });
  }
  if (kept.length) {
    const frames = kept.map((r) => firstFrame(r.stack, r.file, r.line));
    await client.query({
      text: `UPDATE error_groups g SET first_seen = u.first_seen, last_seen = u.last_seen, message = u.message, stack = u.stack,
                    file = u.file, line = u.line, latest_seq = u.seq, updated_at = now()
             FROM unnest($2::bigint[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::int[], $9::bigint[])
                  AS u(id, first_seen, last_seen, message, stack, file, line, seq)
             WHERE g.site_id = $1::bigint AND g.id = u.id`,
      values: [siteId, kept.map((r) => r.groupId), kept.map((r) => r.firstSeen), kept.map((r) => r.lastSeen), kept.map((r) => r.message),
        kept.map((r) => r.stack), frames.map((f) => f.file), frames.map((f) => f.line), kept.map((r) => r.seq)],
    });
  }
  return { groupsDeleted: gone.length };
}
