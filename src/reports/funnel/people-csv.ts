import { Readable } from 'node:stream';
import type pg from 'pg';
import Cursor from 'pg-cursor';
import { csvField } from '../export/csv.ts';
import type { FunnelQueryInput } from './query.ts';
import { peopleQuery } from './report.ts';
import type { PeopleRequest } from './schema.ts';

/**
 * `people.csv`: every unit of a funnel step's outcome, streamed with pg-cursor (BATCH rows in
 * memory at a time, the next read only when the client took the last), as export/csv.ts does.
 */
const BATCH = 1000;
const HEADER = ['visitor_id', 'session_id', 'customer_id', 'entered_at'];

export async function peopleCsv(pool: pg.Pool, input: FunnelQueryInput, people: Omit<PeopleRequest, 'limit'>): Promise<Readable> {
  const q = peopleQuery(input, { ...people, limit: 1 }, null);
  const client = await pool.connect();
  const cursor = client.query(new Cursor(q.text, q.values, { rowMode: 'array' }));
  let released = false;
  const release = (error?: Error) => {
    if (released) return;
    released = true;
    cursor.close(() => client.release(error));
  };
  let header = true;
  return new Readable({
    async read() {
      try {
        if (header) {
          header = false;
          this.push(`${HEADER.join(',')}\r\n`);
          return;
        }
        const rows = await cursor.read(BATCH) as unknown[][];
        if (rows.length === 0) {
          release();
          this.push(null);
          return;
        }
        this.push(rows.map((row) => `${row.map(csvField).join(',')}\r\n`).join(''));
      } catch (error) {
        release(error as Error);
        this.destroy(error as Error);
      }
    },
    destroy(error, callback) {
      release(error ?? undefined);
      callback(error);
    },
  });
}
