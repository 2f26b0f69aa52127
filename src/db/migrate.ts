import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

/**
 * Numbered plain-SQL migrations (sql/NNN_name.sql), after graphile-worker's: each applied once,
 * in its own transaction, recorded with a SHA-256 of its text. Concurrent starters serialise on
 * an advisory lock, so two instances booting at once never apply a file twice. A file edited
 * after it was applied stops start-up: the database no longer matches the code.
 */
export const SQL_DIR = resolve(fileURLToPath(import.meta.url), '../../../sql');

/** Arbitrary constant: the advisory lock key that serialises migrations (ascii "tallymig"). */
const MIGRATION_LOCK = 0x74616c6c796d6967n;

export interface Migration {
  id: number;
  name: string;
  text: string;
  checksum: string;
}

export class MigrationError extends Error {}

export function readMigrations(dir = SQL_DIR): Migration[] {
  const files = readdirSync(dir).filter((f) => /^\d+_.+\.sql$/.test(f));
  const migrations = files.map((file) => {
    const text = readFileSync(resolve(dir, file), 'utf8');
    return {
      id: Number(file.split('_')[0]),
      name: file,
      text,
      checksum: createHash('sha256').update(text).digest('hex'),
    };
  });
  migrations.sort((a, b) => a.id - b.id);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.id === migrations[i - 1]!.id) {
      throw new MigrationError(`two migrations numbered ${migrations[i]!.id}: ${migrations[i - 1]!.name}, ${migrations[i]!.name}`);
    }
  }
  return migrations;
}

interface Applied {
  id: number;
  name: string;
  checksum: string;
}

/** Applies pending migrations; returns the names applied now. */
/** Rollups rely on PostgreSQL 18 (`RETURNING old.*` in sql builders of src/jobs). */
export const MIN_SERVER_VERSION = 180000;

export async function migrate(client: pg.ClientBase, dir = SQL_DIR): Promise<string[]> {
  const { rows: version } = await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
  if (Number(version[0]!.v) < MIN_SERVER_VERSION) {
    throw new MigrationError(
      `Tally needs PostgreSQL 18 or later; DATABASE_URL points to server_version_num ${version[0]!.v} (unset DATABASE_URL to use the embedded PostgreSQL 18)`,
    );
  }
  const migrations = readMigrations(dir);
  await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK.toString()]);
  try {
    await client.query(`
      CREATE TABLE IF NOT EXISTS tally_migrations (
        id integer PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const { rows } = await client.query<Applied>('SELECT id, name, checksum FROM tally_migrations ORDER BY id');
    const applied = new Map(rows.map((row) => [row.id, row]));
    for (const row of rows) {
      const file = migrations.find((m) => m.id === row.id);
      if (file && file.checksum !== row.checksum) {
        throw new MigrationError(
          `migration ${file.name} was edited after it was applied (checksum ${row.checksum.slice(0, 12)} in the database, ${file.checksum.slice(0, 12)} on disk); add a new migration instead`,
        );
      }
    }
    const done: string[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.id)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.text);
        await client.query('INSERT INTO tally_migrations (id, name, checksum) VALUES ($1::int, $2::text, $3::text)', [
          migration.id,
          migration.name,
          migration.checksum,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new MigrationError(`migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
      }
      done.push(migration.name);
    }
    return done;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK.toString()]);
  }
}

/** True when every migration on disk is applied (for /readyz). */
export async function isMigrated(client: pg.ClientBase | pg.Pool, dir = SQL_DIR): Promise<boolean> {
  const migrations = readMigrations(dir);
  const { rows } = await client
    .query<{ id: number }>('SELECT id FROM tally_migrations')
    .catch(() => ({ rows: [] as { id: number }[] })); // no table yet: not migrated
  const ids = new Set(rows.map((r) => r.id));
  return migrations.every((m) => ids.has(m.id));
}
