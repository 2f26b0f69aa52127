import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';
import { DISTRIBUTION_COLUMN, isLocalTable, REFERENCE_TABLES } from './citus-plan.ts';

/**
 * The Citus plan (citus-plan.ts, docs/scaling.md) against the schema every migration builds: a
 * new table must be distributable by site_id, or be named a reference or local table on purpose.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.drop());

interface TableRow { name: string; hasSite: boolean }
interface IndexRow { table: string; index: string; columns: string[] }
interface ForeignKeyRow { table: string; name: string; columns: string[]; target: string }

const tables = async () =>
  (await db.pool.query<TableRow>(`
    SELECT c.relname AS name, EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = $1::text AND NOT a.attisdropped) AS "hasSite"
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1`, [DISTRIBUTION_COLUMN])).rows;

const isDistributed = (t: TableRow) => !(REFERENCE_TABLES as readonly string[]).includes(t.name) && !isLocalTable(t.name);

describe('Citus plan: distributed by site_id, reference and local tables named', () => {
  it('every table is distributed (has site_id), or a named reference or local table', async () => {
    const all = await tables();
    expect(all.length).toBeGreaterThan(20);
    const unplaced = all.filter((t) => isDistributed(t) && !t.hasSite).map((t) => t.name);
    expect(unplaced, 'tables without site_id that are neither reference nor local: add site_id, or name them in src/db/citus-plan.ts and docs/scaling.md').toEqual([]);
    for (const name of REFERENCE_TABLES) expect(all.map((t) => t.name)).toContain(name);
  });

  it('every primary key and unique index of a distributed table includes site_id (Citus enforces uniqueness per shard)', async () => {
    const distributed = new Set((await tables()).filter(isDistributed).map((t) => t.name));
    const { rows } = await db.pool.query<IndexRow>(`
      SELECT t.relname AS table, i.relname AS index,
             array(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attnum = ANY(x.indkey)) AS columns
      FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = 'public' AND x.indisunique AND NOT t.relispartition`);
    const bad = rows.filter((r) => distributed.has(r.table) && !r.columns.includes(DISTRIBUTION_COLUMN)).map((r) => `${r.table}.${r.index}`);
    expect(bad).toEqual([]);
  });

  it('foreign keys between distributed tables carry site_id (co-located joins); to reference tables anything goes', async () => {
    const distributed = new Set((await tables()).filter(isDistributed).map((t) => t.name));
    const { rows } = await db.pool.query<ForeignKeyRow>(`
      SELECT t.relname AS table, k.conname AS name, f.relname AS target,
             array(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attnum = ANY(k.conkey)) AS columns
      FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_class f ON f.oid = k.confrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = 'public' AND k.contype = 'f' AND NOT t.relispartition`);
    const bad = rows.filter((r) => distributed.has(r.table) && distributed.has(r.target) && !r.columns.includes(DISTRIBUTION_COLUMN)).map((r) => `${r.table}.${r.name}`);
    expect(bad).toEqual([]);
  });

  it('the check sees a table that breaks the plan (the check itself)', async () => {
    await db.pool.query('CREATE TABLE plan_probe (id bigint PRIMARY KEY, note text)');
    try {
      expect((await tables()).filter((t) => isDistributed(t) && !t.hasSite).map((t) => t.name)).toEqual(['plan_probe']);
    } finally {
      await db.pool.query('DROP TABLE plan_probe');
    }
  });
});
