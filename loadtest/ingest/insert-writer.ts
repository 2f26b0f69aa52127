import type { WriterFactory } from '../../src/ingest/writer/create-writer.ts';
import { sessionIdFor } from '../../src/ingest/writer/sessions.ts';
import { PartitionCache } from '../../src/ingest/writer/write.ts';
import { NotDurableError, type IngestWriter } from '../../src/ingest/writer/writer.ts';
import { COMMON_COLUMNS, TABLE_COLUMNS, type PreparedEvent } from '../../src/ingest/tables.ts';

/**
 * The ingest benchmark's baseline (b): Tally's own pipeline — the same validation, enrichment and
 * prepared rows — writing each row with one autocommitted INSERT, as Umami writes. Not a product
 * writer: it has no spool and no deduplication, and only loadtest/ingest/insert-server.ts uses it.
 */
export const createInsertWriter: WriterFactory = ({ pool, logger }) => {
  const partitions = new PartitionCache();
  const inFlight = new Set<Promise<unknown>>();
  async function insertEach(events: PreparedEvent[]): Promise<'committed'> {
    try {
      await partitions.ensure(pool, events);
      for (const e of events) {
        const columns = [...COMMON_COLUMNS, ...TABLE_COLUMNS[e.table]];
        const placeholders = columns.map((_, i) => `$${i + 1}`).join(', ');
        const session = e.sid ?? sessionIdFor(e.siteId, e.visitorId, Math.floor(e.ts / 1_800_000));
        for (const row of e.rows) {
          await pool.query(`INSERT INTO ${e.table} (${columns.join(', ')}) VALUES (${placeholders})`, [
            e.siteId, new Date(e.ts).toISOString(), new Date(e.receivedAt).toISOString(), e.eventId, e.visitorId, session, ...row,
          ]);
        }
      }
      return 'committed';
    } catch (error) {
      logger.error({ err: error }, 'insert failed');
      throw new NotDurableError('could not store the events');
    }
  }
  const writer: IngestWriter = {
    submit(events) {
      const p = insertEach(events);
      const tracked = p.then(() => undefined, () => undefined).finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      return p;
    },
    async drain() {
      while (inFlight.size) await Promise.all(inFlight);
    },
  };
  return { writer, start: async () => undefined, stop: () => writer.drain() };
};
