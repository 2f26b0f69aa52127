import { ensurePartitionsAhead, MONTHS_AHEAD } from '../db/partitions.ts';
import type { JobDefinition } from './types.ts';

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
    return { rows: 0, detail: { checked: await ensurePartitionsAhead(pool) } };
  },
};
