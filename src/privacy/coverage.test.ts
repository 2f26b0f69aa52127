import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';
import { ERASE_COVERAGE, PERSON_COLUMNS, ROLLUP_NAME } from './coverage.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.drop());

describe('erase coverage', () => {
  it('lists every site-scoped table that can hold or count a person', async () => {
    // Ordinary and partitioned parents only (partitions inherit their parent's line).
    const { rows } = await db.pool.query<{ table: string; columns: string[] }>(`
      SELECT c.relname AS "table", array_agg(a.attname::text) AS "columns"
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      GROUP BY c.relname`);
    const missing = rows
      .filter((r) => r.columns.includes('site_id'))
      .filter((r) => r.columns.some((c) => PERSON_COLUMNS.includes(c)) || ROLLUP_NAME.test(r.table))
      .map((r) => r.table)
      .filter((t) => !(t in ERASE_COVERAGE))
      .sort();
    expect(missing, 'tables erase does not cover: add them to src/privacy/coverage.ts and handle them').toEqual([]);
  });

  it('names no table that does not exist', async () => {
    const { rows } = await db.pool.query<{ t: string }>(`SELECT relname AS t FROM pg_class WHERE relkind IN ('r', 'p')`);
    const tables = new Set(rows.map((r) => r.t));
    expect(Object.keys(ERASE_COVERAGE).filter((t) => !tables.has(t))).toEqual([]);
  });
});
