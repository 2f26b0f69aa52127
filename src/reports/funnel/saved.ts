import type pg from 'pg';
import type { FunnelDefinition, SavedFunnelInput } from './schema.ts';

/** Saved funnel definitions (sql/080 `funnels`, keyed by (site_id, id)). */
export interface SavedFunnel extends FunnelDefinition {
  id: string;
  name: string;
  created_at: string;
}

const COLUMNS = `id::text AS id, name, steps, window_seconds, "order", unit, created_at`;

interface Row extends Omit<SavedFunnel, 'created_at'> {
  created_at: Date;
}
const shape = (r: Row): SavedFunnel => ({ ...r, created_at: r.created_at.toISOString() });

export async function createFunnel(pool: pg.Pool, siteId: string, input: SavedFunnelInput): Promise<SavedFunnel> {
  const { rows } = await pool.query<Row>({
    text: `INSERT INTO funnels (site_id, name, steps, window_seconds, "order", unit)
      VALUES ($1::bigint, $2::text, $3::jsonb, $4::integer, $5::text, $6::text) RETURNING ${COLUMNS}`,
    values: [siteId, input.name, JSON.stringify(input.steps), input.window_seconds, input.order, input.unit],
  });
  return shape(rows[0]!);
}

export async function listFunnels(pool: pg.Pool, siteId: string): Promise<SavedFunnel[]> {
  const { rows } = await pool.query<Row>({ text: `SELECT ${COLUMNS} FROM funnels WHERE site_id = $1::bigint ORDER BY id`, values: [siteId] });
  return rows.map(shape);
}

/** The id is checked to be a bigint before it reaches SQL (a bad id is "not found", not a 500). */
const isId = (id: string) => /^\d{1,18}$/.test(id);

export async function getFunnel(pool: pg.Pool, siteId: string, id: string): Promise<SavedFunnel | null> {
  if (!isId(id)) return null;
  const { rows } = await pool.query<Row>({ text: `SELECT ${COLUMNS} FROM funnels WHERE site_id = $1::bigint AND id = $2::bigint`, values: [siteId, id] });
  return rows[0] ? shape(rows[0]) : null;
}

export async function deleteFunnel(pool: pg.Pool, siteId: string, id: string): Promise<boolean> {
  if (!isId(id)) return false;
  const res = await pool.query({ text: 'DELETE FROM funnels WHERE site_id = $1::bigint AND id = $2::bigint', values: [siteId, id] });
  return (res.rowCount ?? 0) > 0;
}
