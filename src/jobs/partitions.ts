import type { JobDefinition } from './types.ts';

/** Months of partitions kept ready ahead of the current one (contract: at least two). */
export const MONTHS_AHEAD = 3;

/**
 * Keeps monthly partitions of every raw table existing for the current month and MONTHS_AHEAD
 * more, so no beacon waits on DDL. Late or clock-skewed events for other months get their
 * partition from the writer itself (tally_ensure_partition). Tally keeps no DEFAULT partition:
 * every row lands in its month's partition, so there is nothing to move out of one.
 */
export const partitionJob: JobDefinition = {
  name: 'partitions',
  description: `create monthly partitions of the raw tables for this month and ${MONTHS_AHEAD} ahead`,
  intervalSeconds: 3600,
  async run({ pool }) {
    const r = await pool.query<{ n: number }>({
      text: `SELECT tally_ensure_partitions((now() AT TIME ZONE 'UTC')::date,
                                            ((now() AT TIME ZONE 'UTC') + make_interval(months => $1::int))::date) AS n`,
      values: [MONTHS_AHEAD],
    });
    return { rows: 0, detail: { checked: r.rows[0]!.n } };
  },
};
