import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { createPool } from '../../db/pool.ts';
import { querySerial } from './serial.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe('querySerial', () => {
  it('runs the query with parallel plans off and leaves the pooled connection as it was', async () => {
    const pool = createPool(db.url, { max: 1 }); // one connection: the next query gets the same one
    try {
      const before = (await pool.query<{ v: string }>('SELECT current_setting($1::text) AS v', ['max_parallel_workers_per_gather'])).rows[0]!.v;
      const inside = await querySerial<{ v: string }>(pool, { text: 'SELECT current_setting($1::text) AS v', values: ['max_parallel_workers_per_gather'] });
      expect(inside.rows[0]!.v).toBe('0');
      const after = (await pool.query<{ v: string }>('SELECT current_setting($1::text) AS v', ['max_parallel_workers_per_gather'])).rows[0]!.v;
      expect(after).toBe(before);
      expect(before).not.toBe('0');
      await expect(querySerial(pool, { text: 'SELECT 1/0', values: [] })).rejects.toThrow(/division by zero/);
      expect((await pool.query('SELECT 1 AS ok')).rows[0].ok).toBe(1); // rolled back, connection usable
    } finally {
      await pool.end();
    }
  });
});
