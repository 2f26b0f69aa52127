/**
 * Experiment definitions in PostgreSQL (sql/060_experiments.sql): create-or-update by key, list,
 * get, status changes. Every function takes the pool (or a client) it runs on.
 *
 * started_at / stopped_at are set the first time the status becomes running / stopped and kept
 * after (a restarted experiment keeps its first start: the report's default range begins there).
 */
import type pg from 'pg';
import { auditSql, type AuditEntry } from '../sites/audit.ts';
import { variantsChanged, type Experiment, type ExperimentInput, type ExperimentStatus } from './definition.ts';

type Db = pg.Pool | pg.ClientBase;

const COLUMNS = `key, name, seed, variants, coverage, metrics, status,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "created_at",
  to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "updated_at",
  to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "started_at",
  to_char(stopped_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "stopped_at"`;

export class ExperimentConflictError extends Error {}

export function listExperimentsSql(siteId: string) {
  return { text: `SELECT ${COLUMNS} FROM experiments WHERE site_id = $1::bigint ORDER BY created_at DESC, key`, values: [siteId] };
}

export function getExperimentSql(siteId: string, key: string, lock = false) {
  return {
    text: `SELECT ${COLUMNS} FROM experiments WHERE site_id = $1::bigint AND key = $2::text${lock ? ' FOR UPDATE' : ''}`,
    values: [siteId, key],
  };
}

/**
 * Whether any `$exposure` event names this experiment. Reads the events table itself (every
 * partition), not a rollup: a rollup may lag the last exposures by a job interval, and this
 * answer decides whether variants may still change.
 */
export function hasExposuresSql(siteId: string, key: string) {
  return {
    text: `SELECT EXISTS (SELECT 1 FROM events WHERE site_id = $1::bigint AND name = '$exposure' AND props->>'experiment' = $2::text) AS "exposed"`,
    values: [siteId, key],
  };
}

/**
 * One statement for create and update. Omitted `name`, `seed`, `coverage` and `status` keep the
 * stored values on an update (defaults on a create: null, null, 1, draft); `(xmax = 0)` tells a
 * fresh insert from an update of the row.
 */
export function upsertExperimentSql(siteId: string, input: ExperimentInput, times: { startedAt?: Date; stoppedAt?: Date } = {}) {
  return {
    text: `INSERT INTO experiments AS e (site_id, key, name, seed, variants, coverage, metrics, status, started_at, stopped_at)
           VALUES ($1::bigint, $2::text, $3::text, $4::text, $5::jsonb, COALESCE($6::float8, 1), $7::jsonb, COALESCE($8::text, 'draft'),
                   CASE $8::text WHEN 'running' THEN COALESCE($10::timestamptz, now()) WHEN 'stopped' THEN $10::timestamptz END,
                   CASE WHEN $8::text = 'stopped' THEN COALESCE($11::timestamptz, now()) END)
           ON CONFLICT (site_id, key) DO UPDATE SET
             name = CASE WHEN $9::boolean THEN e.name ELSE EXCLUDED.name END,
             seed = CASE WHEN $12::boolean THEN e.seed ELSE EXCLUDED.seed END,
             variants = EXCLUDED.variants,
             coverage = COALESCE($6::float8, e.coverage),
             metrics = EXCLUDED.metrics,
             status = COALESCE($8::text, e.status),
             updated_at = now(),
             started_at = COALESCE(e.started_at, CASE WHEN $8::text = 'running' THEN now() END),
             stopped_at = COALESCE(e.stopped_at, CASE WHEN $8::text = 'stopped' THEN now() END)
           RETURNING ${COLUMNS}, (xmax = 0) AS "inserted"`,
    values: [
      siteId, input.key, input.name ?? null, input.seed ?? null, JSON.stringify(input.variants), input.coverage ?? null,
      JSON.stringify(input.metrics), input.status ?? null, input.name === undefined, times.startedAt ?? null, times.stoppedAt ?? null,
      input.seed === undefined,
    ],
  };
}

export function setStatusSql(siteId: string, key: string, status: ExperimentStatus) {
  return {
    text: `UPDATE experiments SET status = $3::text, updated_at = now(),
             started_at = COALESCE(started_at, CASE WHEN $3::text = 'running' THEN now() END),
             stopped_at = COALESCE(stopped_at, CASE WHEN $3::text = 'stopped' THEN now() END)
           WHERE site_id = $1::bigint AND key = $2::text
           RETURNING ${COLUMNS}`,
    values: [siteId, key, status],
  };
}

export async function listExperiments(db: Db, siteId: string): Promise<Experiment[]> {
  return (await db.query<Experiment>(listExperimentsSql(siteId))).rows;
}

export async function getExperiment(db: Db, siteId: string, key: string): Promise<Experiment | undefined> {
  return (await db.query<Experiment>(getExperimentSql(siteId, key))).rows[0];
}

export async function setExperimentStatus(db: Db, siteId: string, key: string, status: ExperimentStatus): Promise<Experiment | undefined> {
  return (await db.query<Experiment>(setStatusSql(siteId, key, status))).rows[0];
}

/**
 * Creates or updates by key, in one transaction: the stored row is locked, and when the variants'
 * keys or weights change on an experiment with exposures, nothing is written and
 * ExperimentConflictError is thrown (the API's 409). `times` lets the demo date a finished
 * experiment to its simulated period (only on a create).
 */
export async function saveExperiment(
  pool: pg.Pool,
  siteId: string,
  input: ExperimentInput,
  times: { startedAt?: Date; stoppedAt?: Date } = {},
  /** Written in the same transaction (the audit log's entry for an API change). */
  audit?: (saved: { experiment: Experiment; created: boolean }) => AuditEntry,
): Promise<{ experiment: Experiment; created: boolean }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const before = (await client.query<Experiment>(getExperimentSql(siteId, input.key, true))).rows[0];
    if (before && variantsChanged(before.variants, input.variants)) {
      const { rows } = await client.query<{ exposed: boolean }>(hasExposuresSql(siteId, input.key));
      if (rows[0]!.exposed) {
        throw new ExperimentConflictError(`variants: experiment ${input.key} has exposures; its variant keys and weights can no longer change (create a new experiment)`);
      }
    }
    const { rows } = await client.query<Experiment & { inserted: boolean }>(upsertExperimentSql(siteId, input, times));
    const { inserted, ...experiment } = rows[0]!;
    const saved = { experiment, created: inserted };
    if (audit) await client.query(auditSql(audit(saved)));
    await client.query('COMMIT');
    return saved;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
