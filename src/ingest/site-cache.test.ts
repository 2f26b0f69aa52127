import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';
import { createSite } from '../sites/sites.ts';
import { SiteCache, SITE_FRESH_MS, SITE_MAX_AGE_MS } from './collect.ts';

/**
 * The ingest site cache's bound (≤ 5 s from a change to every instance) and its
 * stale-while-revalidate path, on a fake clock over a real database.
 */
let db: TestDatabase;
let key: string;
let siteId: string;
beforeAll(async () => {
  db = await createTestDatabase();
  ({ publicKey: key, id: siteId } = await createSite(db.pool, { name: 'S', domain: 'shop.test', allowedOrigins: ['https://a.test'] }));
});
afterAll(async () => db?.drop());

const setOrigins = (origin: string) => db.pool.query(`UPDATE sites SET allowed_origins = ARRAY[$1::text] WHERE id = $2::bigint`, [origin, siteId]);
const settle = () => new Promise((r) => setTimeout(r, 150)); // lets a background reload answer

describe('SiteCache', () => {
  it('serves fresh entries, serves then reloads stale ones in the background, and waits only past 5 s', async () => {
    let now = 1_000_000;
    const cache = new SiteCache(db.pool, { timeoutMs: 2000, now: () => now });
    const origins = async () => (await cache.lookup([key])).get(key)?.allowedOrigins;
    expect(await origins()).toEqual(['https://a.test']);

    await setOrigins('https://b.test');
    now += SITE_FRESH_MS - 1;
    expect(await origins()).toEqual(['https://a.test']); // fresh: no query
    now += 1;
    // Stale but within the bound: answered from memory (so not waiting for the query, which
    // would say b.test), and reloaded in the background.
    expect(await origins()).toEqual(['https://a.test']);
    await settle();
    expect(await origins()).toEqual(['https://b.test']);

    // Past the bound the beacon waits for the query: never an answer older than 5 s.
    await setOrigins('https://c.test');
    now += SITE_MAX_AGE_MS;
    expect(await origins()).toEqual(['https://c.test']);

    // invalidate (the PATCH instance): the next lookup reloads at once.
    await setOrigins('https://d.test');
    cache.invalidate(key);
    expect(await origins()).toEqual(['https://d.test']);
  });

  it('a background reload sent before an invalidation does not bring the old answer back', async () => {
    let now = 2_000_000;
    const cache = new SiteCache(db.pool, { timeoutMs: 2000, now: () => now });
    await setOrigins('https://e.test');
    await cache.lookup([key]);
    now += SITE_FRESH_MS;
    await cache.lookup([key]); // schedules a background reload (runs on the next tick)
    cache.invalidate(key);
    await setOrigins('https://f.test');
    await settle();
    expect((await cache.lookup([key])).get(key)?.allowedOrigins).toEqual(['https://f.test']);
  });

  it('unknown keys are remembered for the same bound', async () => {
    let now = 3_000_000;
    const cache = new SiteCache(db.pool, { timeoutMs: 2000, now: () => now });
    const created = { key: 'pk_later_created_key' };
    expect((await cache.lookup([created.key])).size).toBe(0);
    await db.pool.query(`INSERT INTO sites (public_key, name, domain) VALUES ($1, 'L', 'l.test')`, [created.key]);
    now += SITE_MAX_AGE_MS;
    expect((await cache.lookup([created.key])).size).toBe(1);
  });

  it('a cached lookup asks no query and stays in the microsecond range', async () => {
    const cache = new SiteCache(db.pool, { timeoutMs: 2000 });
    await cache.lookup([key]);
    const n = 200_000;
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await cache.lookup([key]);
    const perLookupNs = Number(process.hrtime.bigint() - started) / n;
    // Measured 2026-12-04 on the shared 2-core dev box: see docs/api.md "Site settings".
    expect(perLookupNs).toBeLessThan(20_000);
  });
});
