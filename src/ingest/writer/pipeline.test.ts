import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { CopyScript, inlineParams } from './pipeline.ts';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query('CREATE TABLE pipeline_t (id int PRIMARY KEY, note text)');
});
afterAll(async () => {
  await db?.drop();
});

describe('inlineParams', () => {
  it('round-trips awkward strings, nulls and arrays through literals', async () => {
    const awkward = [`it's`, 'back\\slash', 'quote"d', 'tab\tnew\nline', 'ünï €', '', '{brace,comma}', 'NULL'];
    const text = inlineParams({
      text: 'SELECT $1::text[] AS arr, $2::text AS one, $3::bigint[] AS ids, $4::text AS nothing, $5::timestamptz[] AS ts',
      values: [awkward, `o'k\\`, ['1', '2'], null, [new Date('2026-03-29T01:30:00Z'), null]],
    });
    const { rows } = await db.pool.query<{ arr: string[]; one: string; ids: string[]; nothing: null; ts: (Date | null)[] }>(text);
    expect(rows[0]!.arr).toEqual(awkward);
    expect(rows[0]!.one).toBe(`o'k\\`);
    expect(rows[0]!.ids).toEqual(['1', '2']);
    expect(rows[0]!.nothing).toBeNull();
    expect(rows[0]!.ts).toEqual([new Date('2026-03-29T01:30:00Z'), null]);
  });

  it('refuses a placeholder without a value', () => {
    expect(() => inlineParams({ text: 'SELECT $2::int', values: [1] })).toThrow(/no value for \$2/);
  });
});

describe('CopyScript', () => {
  it('runs several statements and COPYs in one round trip', async () => {
    const client = await db.pool.connect();
    try {
      const tags = await client.query(
        new CopyScript('BEGIN; COPY pipeline_t (id, note) FROM STDIN; COPY pipeline_t (id, note) FROM STDIN; COMMIT', [
          Buffer.from('1\tone\n2\t\\N\n'),
          Buffer.from('3\tthree\n'),
        ]),
      ).done;
      expect(tags).toEqual(['BEGIN', 'COPY 2', 'COPY 1', 'COMMIT']);
    } finally {
      client.release();
    }
    const { rows } = await db.pool.query('SELECT id, note FROM pipeline_t ORDER BY id');
    expect(rows).toEqual([{ id: 1, note: 'one' }, { id: 2, note: null }, { id: 3, note: 'three' }]);
  });

  it('stores nothing when a later COPY fails, and the connection stays usable', async () => {
    const client = await db.pool.connect();
    try {
      const failing = client.query(
        new CopyScript('BEGIN; COPY pipeline_t (id, note) FROM STDIN; COPY pipeline_t (id, note) FROM STDIN; COMMIT', [
          Buffer.from('10\tten\n'),
          Buffer.from('1\tduplicate key\n'),
        ]),
      ).done;
      await expect(failing).rejects.toThrow(/duplicate key/);
      await client.query('ROLLBACK');
      // The rest of the script (its COPY data and COMMIT) was dropped, not run later.
      expect((await client.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      client.release();
    }
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM pipeline_t WHERE id = 10');
    expect(rows[0]!.n).toBe(0);
  });
});
