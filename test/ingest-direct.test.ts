import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestDirect } from '../src/ingest/writer/direct.ts';
import { createSite } from '../src/sites/sites.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';

let db: TestDatabase;
let siteId: string;
beforeAll(async () => {
  db = await createTestDatabase();
  siteId = (await createSite(db.pool, { name: 'Shop', domain: 'shop.example' })).id;
});
afterAll(async () => db?.drop());

describe('ingestDirect', () => {
  it('stores history two years back, creating its partition, enriched and idempotent', async () => {
    const ts = Date.UTC(new Date().getUTCFullYear() - 2, 2, 15, 12, 0, 0);
    const id = '0b7f6a52-6f2e-4c55-9d7c-1a2b3c4d5e6f';
    const events = [
      { type: 'pageview', id, ts, url: 'https://shop.example/p/1?utm_source=news&utm_medium=email', ip: '8.8.8.8', ua: CHROME, ref: 'https://mail.google.com/' },
      { type: 'event', ts: ts + 1000, name: 'add_to_cart', props: { sku: 'A1', cart: { size: 2 } }, revenue: { amount: 1299, currency: 'EUR' }, vid: 'v1', ua: IPHONE },
      { type: 'pageview', url: 'https://shop.example/' },
      { type: 'pageview', ts, url: 'https://shop.example/', ua: 'Googlebot/2.1 (+http://www.google.com/bot.html)' },
    ];
    const r = await ingestDirect(db.pool, { siteId, events });
    expect(r).toEqual({ accepted: 2, duplicates: 0, bots: 1, rejected: [{ index: 2, error: 'ts: required (epoch ms)' }] });
    const again = await ingestDirect(db.pool, { siteId, events: events.slice(0, 1) });
    expect(again.duplicates).toBe(1);

    const pv = await db.pool.query('SELECT * FROM pageviews WHERE site_id = $1::bigint', [siteId]);
    expect(pv.rows).toHaveLength(1);
    const row = pv.rows[0];
    expect(row).toMatchObject({ host: 'shop.example', path: '/p/1', browser: 'Chrome', os: 'Windows', device: 'desktop', country: 'US', channel: 'email', utm_source: 'news', ref_domain: 'mail.google.com' });
    expect(row.visitor_id).toMatch(/^[\w-]{16}$/);
    expect(new Date(row.occurred_at).getTime()).toBe(ts);
    const ev = await db.pool.query('SELECT * FROM events WHERE site_id = $1::bigint', [siteId]);
    expect(ev.rows[0]).toMatchObject({ name: 'add_to_cart', props: { sku: 'A1', 'cart.size': 2 }, revenue_amount: 1299, revenue_currency: 'EUR', visitor_id: 'v1', device: 'mobile', os: 'iOS' });
    const part = await db.pool.query("SELECT to_regclass($1::text) AS p", [`pageviews_y${new Date(ts).getUTCFullYear()}m03`]);
    expect(part.rows[0].p).not.toBeNull();
  });
});
