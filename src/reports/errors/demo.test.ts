import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { loadConfig } from '../../config.ts';
import { runDemo, type DemoResult } from '../../demo/run.ts';
import { createApp } from '../../http/app.ts';
import { createLogger } from '../../log.ts';
import type { ErrorGroup } from './report.ts';

/** `tally demo`'s recurring errors (src/demo/world.ts JS_ERRORS) in the error list (issue #18 point 6). */
let db: TestDatabase;
let demo: DemoResult;
beforeAll(async () => {
  db = await createTestDatabase();
  demo = await runDemo(db.pool, { days: 30, visitors: 1500, seed: 5 });
}, 120_000);
afterAll(async () => db?.drop());

describe('demo errors', () => {
  it('appear as four groups, the cart one resolved a third into the period and regressed since', async () => {
    const app = createApp({ config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent'), registry: new Registry() });
    const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
    const get = async (status: string) => {
      const res = await app.request(`/api/v1/sites/${demo.site.id}/errors?from=${day(-40)}&to=${day(1)}&tz=UTC&status=${status}`, { headers: { authorization: `Bearer ${demo.site.token}` } });
      expect(res.status).toBe(200);
      return ((await res.json()) as { errors: ErrorGroup[] }).errors;
    };
    const open = await get('open');
    expect(open).toHaveLength(4);
    expect(open.reduce((n, g) => n + g.count, 0)).toBe(demo.stats.rows.errors);
    expect(open.filter((g) => g.regressed).map((g) => g.message)).toEqual(['Network request failed: /api/cart']);
    expect(open.find((g) => g.message.includes('paypal'))!.browsers.map((b) => b.key).every((k) => k.includes('Safari'))).toBe(true);
    expect(await get('resolved')).toEqual([]);
  });
});
