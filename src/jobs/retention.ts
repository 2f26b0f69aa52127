import pg from 'pg';
import type { JobDefinition } from './types.ts';

/** Partitions of the raw tables whose whole month ends on or before `cutoff` (UTC). */
export function expiredPartitionsQuery(retentionMonths: number): { text: string; values: unknown[] } {
  return {
    text: `SELECT c.relname AS "name", p.relname AS "parent"
           FROM pg_inherits i
           JOIN pg_class c ON c.oid = i.inhrelid
           JOIN pg_class p ON p.oid = i.inhparent
           WHERE p.relname = ANY (tally_raw_tables())
             AND c.relname ~ '_y[0-9]{4}m[0-9]{2}$'
             AND (to_date(substring(c.relname from '_y([0-9]{4})m[0-9]{2}$') || substring(c.relname from '_y[0-9]{4}m([0-9]{2})$'), 'YYYYMM')
                  + interval '1 month')
                 <= date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => $1::int)
           ORDER BY c.relname`,
    values: [retentionMonths],
  };
}

/**
 * Retention: drops whole monthly partitions older than RETENTION_MONTHS (instant, no vacuum
 * debt), then deletes rows of sites that keep less (sites.retention_months) month by month.
 */
export const retentionJob: JobDefinition = {
  name: 'retention',
  description: 'drop raw partitions older than RETENTION_MONTHS; delete rows past a shorter site retention',
  intervalSeconds: 6 * 3600,
  async run({ pool, config, logger, signal }) {
    const expired = await pool.query<{ name: string; parent: string }>(expiredPartitionsQuery(config.RETENTION_MONTHS));
    const dropped: string[] = [];
    for (const { name } of expired.rows) {
      if (signal.aborted) break;
      await dropPartition(pool, name);
      dropped.push(name);
    }
    if (dropped.length) logger.info({ dropped }, 'retention: partitions dropped');
    let deleted = 0;
    const tables = (await pool.query<{ t: string }>('SELECT unnest(tally_raw_tables()) AS t')).rows.map((r) => r.t);
    for (const table of tables) {
      if (signal.aborted) break;
      const r = await pool.query({
        text: `DELETE FROM ${pg.escapeIdentifier(table)} t USING sites s
               WHERE t.site_id = s.id AND s.retention_months < $1::int
                 AND t.occurred_at < date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - make_interval(months => s.retention_months)`,
        values: [config.RETENTION_MONTHS],
      });
      deleted += r.rowCount ?? 0;
    }
    return { rows: dropped.length + deleted, detail: { dropped, deleted } };
  },
};

async function dropPartition(pool: pg.Pool, name: string): Promise<void> {
  const client = await pool.connect();
  try {
    // DROP takes an ACCESS EXCLUSIVE lock on the parent too; do not queue behind long reads forever.
    await client.query("SET lock_timeout = '10s'");
    await client.query(`DROP TABLE IF EXISTS ${client.escapeIdentifier(name)}`);
  } finally {
    await client.query('RESET lock_timeout').catch(() => undefined);
    client.release();
  }
}
