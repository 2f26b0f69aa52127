import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';
import { runDemo } from '../demo/run.ts';
import { getExperiment } from './store.ts';

let db: TestDatabase;
const endMs = Date.UTC(2024, 5, 1);
const days = 14;

beforeAll(async () => {
  db = await createTestDatabase();
}, 60_000);
afterAll(async () => db?.drop());

describe('the demo defines its checkout_button experiment', () => {
  it('stopped, over the simulated period, with the variants its exposures carry', async () => {
    const { site } = await runDemo(db.pool, { days, visitors: 600, seed: 3, endMs });
    const experiment = await getExperiment(db.pool, site.id, 'checkout_button');
    expect(experiment).toMatchObject({
      status: 'stopped',
      started_at: new Date(endMs - days * 86_400_000).toISOString(),
      stopped_at: new Date(endMs).toISOString(),
      variants: [{ key: 'control', weight: 0.5 }, { key: 'treatment', weight: 0.5 }],
      metrics: [{ key: 'orders', type: 'order', statistic: 'conversion' }, { key: 'revenue', type: 'order', statistic: 'revenue' }, { key: 'orders_per_user', type: 'order', statistic: 'orders' }],
    });
    const { rows } = await db.pool.query<{ variant: string; n: number }>({
      text: `SELECT props->>'variant' AS variant, count(*)::int AS n FROM events
             WHERE site_id = $1::bigint AND name = '$exposure' AND props->>'experiment' = 'checkout_button' GROUP BY 1 ORDER BY 1`,
      values: [site.id],
    });
    expect(rows.map((r) => r.variant)).toEqual(['control', 'treatment']);
    expect(rows.every((r) => r.n > 0)).toBe(true);
  }, 120_000);
});
