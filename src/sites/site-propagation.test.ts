import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';
import { startTestServer } from '../../test/helpers/server.ts';
import { SITE_MAX_AGE_MS } from '../ingest/collect.ts';
import { createSite } from './sites.ts';

/**
 * A settings change reaches ingestion on every instance within the bound (ingest/collect.ts
 * SiteCache: ≤ 5 s), and at once on the instance that served the PATCH: two real servers on one
 * database, as test/ingest-instances.test.ts runs them.
 */
const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15';
let db: TestDatabase;
let site: { id: string; publicKey: string; token: string };
beforeAll(async () => {
  db = await createTestDatabase();
  site = await createSite(db.pool, { name: 'P', domain: 'shop.example', allowedOrigins: ['https://shop.example'] });
});
afterAll(async () => db?.drop());

const beacon = async (base: string, origin: string) =>
  (await fetch(`${base}/collect`, {
    method: 'POST',
    headers: { 'user-agent': UA, origin, 'content-type': 'text/plain' },
    body: JSON.stringify({ site: site.publicKey, type: 'pageview', url: 'https://shop.example/p' }),
  })).status;

describe('site settings propagation', () => {
  it('an allowed_origins change refuses beacons at once on the PATCH instance and within 5 s on the other', async () => {
    const a = await startTestServer(db.url);
    const b = await startTestServer(db.url);
    try {
      // Both instances have the site cached with the old origins.
      expect(await beacon(a.url, 'https://shop.example')).toBe(202);
      expect(await beacon(b.url, 'https://shop.example')).toBe(202);
      const res = await fetch(`${a.url}/api/v1/sites/${site.id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${site.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ allowed_origins: ['https://new.example'] }),
      });
      expect(res.status).toBe(200);
      const committed = Date.now();
      expect(await beacon(a.url, 'https://shop.example')).toBe(403);
      expect(await beacon(a.url, 'https://new.example')).toBe(202);
      // Every beacon sent 5 s or more after the PATCH answered (so received ≥ 5 s after its
      // commit) must be refused; send times, not answer times, so a slow machine cannot fail it.
      const seen: { after: number; status: number }[] = [];
      while (Date.now() - committed < SITE_MAX_AGE_MS + 1500) {
        const after = Date.now() - committed;
        seen.push({ after, status: await beacon(b.url, 'https://shop.example') });
        await new Promise((r) => setTimeout(r, 100));
      }
      const late = seen.filter((s) => s.after >= SITE_MAX_AGE_MS);
      expect(late.length).toBeGreaterThan(0);
      expect(late.filter((s) => s.status !== 403)).toEqual([]);
      expect(await beacon(b.url, 'https://new.example')).toBe(202);
    } finally {
      await a.close();
      await b.close();
    }
  }, 120_000);
});
