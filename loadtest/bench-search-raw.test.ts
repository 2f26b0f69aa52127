import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test/helpers/db.ts';
import { generateSearchTraffic, orderBody } from '../test/helpers/search-data.ts';
import { upsertCommerce } from '../src/commerce/batch.ts';
import { ingestDirect } from '../src/ingest/writer/direct.ts';
import { resolveRange } from '../src/reports/common/params.ts';
import { searchReport } from '../src/reports/search/report.ts';
import { runSearchRollup } from '../src/reports/search/rollup.ts';
import { createSite } from '../src/sites/sites.ts';
import { searchRawQueries } from './bench-search-raw.ts';

/** The benchmark's raw-rows baseline computes the report's numbers (so the comparison is fair). */
let db: TestDatabase;
let siteId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const s = await createSite(db.pool, { name: 'raw', domain: 'shop.test', timezone: 'Europe/Paris', currency: 'EUR' });
  siteId = s.id;
  await db.pool.query(`UPDATE sites SET search_params = '{q,s}' WHERE id = $1`, [siteId]);
  const data = generateSearchTraffic(11, 80, 'k');
  await ingestDirect(db.pool, { siteId, events: data.beacons });
  await upsertCommerce(db.pool, siteId, 'orders', data.orders.map(orderBody));
  await runSearchRollup(db.pool);
});
afterAll(async () => db?.drop());

describe('bench-search-raw', () => {
  it('equals the report on generated data', async () => {
    const range = resolveRange({ from: '2026-10-20', to: '2026-11-03', tz: 'Europe/Paris', limit: 10 }, 'Europe/Paris');
    const report = await searchReport(db.pool, siteId, 'EUR', range);
    const [perQuery, zero, searchers, clicks, orders] = await Promise.all(
      searchRawQueries(siteId, range.start, range.end, range.tz, 'EUR').map((q) => db.pool.query({ ...q, rowMode: 'array' }).then((r) => r.rows as unknown[][])),
    );
    const total = perQuery!.find((r) => r[0] === null)!;
    expect(Number(total[1])).toBe(report.totals.searches);
    expect(Number(searchers![0]![0])).toBe(report.totals.searchers);
    expect(Number(total[3]) / Number(total[4])).toBeCloseTo(report.totals.zero_result_rate, 12);
    const clicked = new Map(clicks!.map((r) => [r[0], [Number(r[1]), r[2] === null ? null : Number(r[2])] as [number, number | null]]));
    const ordered = new Map(orders!.map((r) => [r[0], [Number(r[1]), Number(r[2])]]));
    const raw = perQuery!.filter((r) => r[0] !== null).slice(0, 100).map((r) => ({
      query: r[0], searches: Number(r[1]), searchers: Number(r[2]), zero_results: Number(r[3]),
      clicks: clicked.get(r[0])![0], avg_click_position: clicked.get(r[0])![1], orders: ordered.get(r[0])?.[0] ?? 0, revenue: ordered.get(r[0])?.[1] ?? 0,
    }));
    expect(raw.map((r) => ({ ...r, avg_click_position: r.avg_click_position === null ? null : Number(r.avg_click_position.toFixed(9)) })))
      .toEqual(report.queries.map((r) => ({ ...r, avg_click_position: r.avg_click_position === null ? null : Number(r.avg_click_position.toFixed(9)) })));
    expect(zero!.map((r) => ({ query: r[0], searches: Number(r[1]), searchers: Number(r[2]) }))).toEqual(report.zero_result_queries);
    expect(Number(orders![0]?.[3] ?? 0) / report.totals.searchers).toBeCloseTo(report.totals.conversion_rate, 12);
  });
});
