import type pg from 'pg';
import { VITALS_LOCK, VITALS_WATERMARK, vitalsCountSelects, vitalsSamplesSelect } from './rollup.ts';

/**
 * Erasing visitors from the vitals rollups (contract §8; src/privacy runs it). The erased
 * visitors' folded rows (ingest_seq at or below the vitals watermark, locked so no batch runs in
 * between) are bucketed exactly as the job buckets them (the same selects) and subtracted; rows
 * brought to zero go; their exact samples leave vitals_values by seq. Input: the temp table
 * `er_vt` (src/privacy/raw-rows.ts), before the raw delete.
 */
export async function eraseVisitorsFromVitals(client: pg.ClientBase): Promise<void> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('${VITALS_LOCK}'))`);
  const wm = await client.query<{ seq: string }>({ text: `SELECT seq::text AS seq FROM rollup_watermarks WHERE name = $1::text FOR UPDATE`, values: [VITALS_WATERMARK] });
  const seq = wm.rows[0]?.seq ?? '0';
  await client.query({ text: `CREATE TEMP TABLE er_vt_beacons ON COMMIT DROP AS SELECT * FROM er_vt WHERE ingest_seq <= $1::bigint`, values: [seq] });
  await client.query(`CREATE TEMP TABLE er_vt_batch ON COMMIT DROP AS ${vitalsSamplesSelect('er_vt_beacons', 'true', ', s.ingest_seq AS seq')}`);
  await client.query(`CREATE TEMP VIEW er_vt_rows AS SELECT site_id, path, coalesce(device, '') AS device, occurred_at AS at FROM er_vt_beacons`);
  for (const c of vitalsCountSelects('er_vt_batch', 'er_vt_rows')) {
    const on = c.keys.map((k) => `t.${k} = d.${k}`).join(' AND ');
    // Two statements: a row updated by one statement cannot be deleted by the same statement.
    await client.query(`UPDATE ${c.table} t SET samples = t.samples - d.samples FROM (${c.select}) d WHERE ${on}`);
    await client.query(`DELETE FROM ${c.table} t USING (${c.select}) d WHERE ${on} AND t.samples = 0`);
  }
  // By the bucket index's key, seq only to tell equal samples apart: `seq` alone has a BRIN index,
  // which a full build (rows not in seq order) makes a scan of every sample — 5.9 s for 200
  // samples among 13M at 10M events; by the key, 93 ms cold (2026-12-04).
  await client.query(`DELETE FROM vitals_values v USING er_vt_batch b
    WHERE v.site_id = b.site_id AND v.metric = b.metric AND v.bucket = b.bucket AND v.at = b.at AND v.seq = b.seq`);
  await client.query(`DROP VIEW er_vt_rows`);
}
