import type { Readable } from 'node:stream';
import type pg from 'pg';
import { csvQueryStream } from '../export/csv.ts';
import type { FunnelQueryInput } from './query.ts';
import { peopleQuery } from './report.ts';
import type { PeopleRequest } from './schema.ts';

/** `people.csv`: every unit of a funnel step's outcome, streamed in constant memory (export/csv.ts). */
const HEADER = ['visitor_id', 'session_id', 'customer_id', 'entered_at'];

export async function peopleCsv(pool: pg.Pool, input: FunnelQueryInput, people: Omit<PeopleRequest, 'limit'>): Promise<Readable> {
  const q = peopleQuery(input, { ...people, limit: 1 }, null);
  return csvQueryStream(pool, q.text, q.values, HEADER);
}
