import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';
import { createSite } from '../sites/sites.ts';
import { RunningExperimentsCache, RUNNING_TTL_MS } from './running-cache.ts';
import { saveExperiment, setExperimentStatus } from './store.ts';

let db: TestDatabase;
let siteId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  siteId = (await createSite(db.pool, { name: 'cache', domain: 'cache.test' })).id;
  await saveExperiment(db.pool, siteId, {
    key: 'k', status: 'running', metrics: [{ key: 'o', type: 'order', statistic: 'conversion' }],
    variants: [{ key: 'a', weight: 0.5 }, { key: 'b', weight: 0.5 }],
  });
});
afterAll(async () => db?.drop());

describe('RunningExperimentsCache', () => {
  it('reuses an entry for less than the TTL (< 5 s), then reloads; one query for concurrent askers', async () => {
    let clock = 1_000_000;
    const cache = new RunningExperimentsCache(db.pool, { timeoutMs: 5_000, now: () => clock });
    expect(RUNNING_TTL_MS).toBeLessThan(5_000);
    const [first, second] = await Promise.all([cache.forSite(siteId), cache.forSite(siteId)]);
    expect(first).toBe(second);
    expect([...first.keys()]).toEqual(['k']);
    await setExperimentStatus(db.pool, siteId, 'k', 'stopped');
    clock += RUNNING_TTL_MS - 1;
    expect((await cache.forSite(siteId)).has('k')).toBe(true); // still the cached answer
    clock += 1;
    expect((await cache.forSite(siteId)).has('k')).toBe(false);
    await setExperimentStatus(db.pool, siteId, 'k', 'running');
    cache.invalidate(siteId);
    expect((await cache.forSite(siteId)).has('k')).toBe(true);
  });

  it('keeps the last answer when the reload fails, and fails for a site never loaded', async () => {
    let clock = 0;
    let broken = false;
    const pool = new Proxy(db.pool, {
      get(target, prop, receiver) {
        if (prop === 'connect' && broken) return () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const cache = new RunningExperimentsCache(pool, { timeoutMs: 1_000, now: () => clock });
    const before = await cache.forSite(siteId);
    broken = true;
    clock += RUNNING_TTL_MS;
    expect(await cache.forSite(siteId)).toBe(before);
    await expect(cache.forSite('999999')).rejects.toThrow(/ECONNREFUSED/);
  });
});
