import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildCommerceRollups, runCommerceRollups } from './commerce-rollups.ts';
import { SQL_DIR } from '../../db/migrate.ts';
import { addDays, localDateToUtc } from '../common/params.ts';
import { customersSql } from './customers.ts';
import { createSite } from '../../sites/sites.ts';
import { END, START, makeItems, priced, rng, upsert, type RawOrder } from '../../../test/helpers/commerce-data.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';

/**
 * Revenue's exact `customers` / `new_customers` (src/reports/revenue/customers.ts: UTC-day
 * links for the whole days of a range, quarter-hour slot rows at its edges) against a brute
 * force over the orders table, for hundreds of ranges whose edges fall anywhere on the quarter
 * hour (not on UTC midnights), local days of half-hour, 45-minute and DST zones, customers whose
 * orders straddle the range start, after incremental runs that re-send, cancel, move and
 * re-currency orders (changing previous-order links), and a rebuild equal to the incremental state.
 */

let db: TestDatabase;
let siteId: string;
const rand = rng(7);
const signal = new AbortController().signal;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const Q = 900_000;
const DAY = 86_400_000;
const PAID = new Set(['paid', 'fulfilled', 'refunded']);

// A range start on no UTC midnight (Asia/Kolkata midnight of Oct 25 = 18:30Z on Oct 24) and
// customers around it: in the part of its UTC day before it, in the partial head day, inside.
const A = Date.parse('2026-10-24T18:30:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const straddle: [string, string | null, number][] = [
  ['s-before-inside', 'c-s1', A - 3 * 3_600_000], ['s-before-inside-2', 'c-s1', A + 2 * DAY],
  ['s-before-head-inside', 'c-s2', A - 3_600_000], ['s-before-head-inside-2', 'c-s2', A + Q], ['s-before-head-inside-3', 'c-s2', A + 3 * DAY],
  ['s-just-before', 'c-s3', A - Q], ['s-just-before-2', 'c-s3', A + 6 * 3_600_000],
  ['s-day-before', 'c-s4', A - DAY], ['s-day-before-2', 'c-s4', A + DAY + 5 * 3_600_000],
];

function makeOrders(prefix: string, n: number): RawOrder[] {
  return Array.from({ length: n }, (_, i) => {
    // Half the orders within 2 hours of a UTC midnight, where the day split matters most.
    const day = START + Math.floor(rand() * ((END - START) / DAY)) * DAY;
    const at = rand() < 0.5 ? day + Math.floor((rand() - 0.5) * 4 * 3_600_000) : START + Math.floor(rand() * (END - START));
    const guest = rand() < 0.35;
    return priced({
      id: `${prefix}${i}`,
      customer_id: guest ? null : `c${Math.floor(rand() * 25)}`,
      visitor_id: i % 41 === 3 ? null : `v${Math.floor(rand() * 40)}`,
      status: ['paid', 'paid', 'fulfilled', 'refunded', 'pending', 'cancelled'][Math.floor(rand() * 6)]!,
      currency: rand() < 0.75 ? 'EUR' : 'USD',
      created_at: iso(at),
      items: makeItems(rand),
    }, rand);
  });
}

async function brute(currency: string, a: number, b: number): Promise<{ customers: number; newCustomers: number }> {
  const { rows } = await db.pool.query<{ id: string; customer_id: string | null; visitor_id: string | null; status: string; currency: string; created_at: Date }>(
    `SELECT id, customer_id, visitor_id, status, currency, created_at FROM orders WHERE site_id = $1`, [siteId]);
  const key = (o: (typeof rows)[number]) => (o.customer_id ? `c:${o.customer_id}` : o.visitor_id ? `v:${o.visitor_id}` : null);
  const customers = new Set<string>();
  const first = new Map<string, (typeof rows)[number]>();
  for (const o of rows) {
    const k = key(o);
    if (!PAID.has(o.status) || !k) continue;
    const t = o.created_at.getTime();
    if (o.currency === currency && t >= a && t < b) customers.add(k);
    const f = first.get(k);
    if (!f || t < f.created_at.getTime() || (t === f.created_at.getTime() && o.id < f.id)) first.set(k, o);
  }
  let newCustomers = 0;
  for (const o of first.values()) if (o.currency === currency && o.created_at.getTime() >= a && o.created_at.getTime() < b) newCustomers += 1;
  return { customers: customers.size, newCustomers };
}

/** Ranges with quarter-hour edges anywhere, UTC-midnight edges, and local days of several zones. */
function ranges(): [number, number][] {
  const out: [number, number][] = [[A, A + 10 * DAY], [A, A + 2 * DAY + 7 * Q], [A - DAY, A + 5 * DAY], [A + Q, A + 4 * DAY]];
  for (let i = 0; i < 60; i++) {
    const a = START - DAY + Math.floor(rand() * ((END - START + 2 * DAY) / Q)) * Q;
    const aligned = i % 5 === 0 ? Math.floor(a / DAY) * DAY : a;
    const len = Math.floor(rand() * (i % 3 === 0 ? 4 * 96 : 20 * 96)) * Q + Q;
    out.push([aligned, i % 7 === 0 ? Math.ceil((aligned + len) / DAY) * DAY : aligned + len]);
  }
  for (const tz of ['Asia/Kolkata', 'Asia/Kathmandu', 'America/New_York', 'Europe/Paris', 'Australia/Lord_Howe']) {
    for (const [from, days] of [['2026-10-20', 17], ['2026-10-25', 1], ['2026-10-30', 4], ['2026-10-22', 9]] as const) {
      out.push([localDateToUtc(from, tz).getTime(), localDateToUtc(addDays(from, days), tz).getTime()]);
    }
  }
  return out;
}

async function checkRanges(label: string): Promise<void> {
  for (const [a, b] of ranges()) {
    for (const currency of ['EUR', 'USD']) {
      const { rows } = await db.pool.query<{ customers: number; newCustomers: number }>(customersSql(siteId, currency, new Date(a), new Date(b)));
      expect(rows[0], `${label} ${currency} [${iso(a)}, ${iso(b)})`).toEqual(await brute(currency, a, b));
    }
  }
}

/** The day links and first-order counts are exactly the aggregates of the rows they summarise. */
async function checkAggregates(): Promise<void> {
  const diff = await db.pool.query(`
    (SELECT site_id, currency, (slot AT TIME ZONE 'UTC')::date AS day, coalesce((prev_slot AT TIME ZONE 'UTC')::date, '-infinity') AS prev_day, count(*) AS n
       FROM commerce_customer_slots WHERE prev_slot IS NULL OR (prev_slot AT TIME ZONE 'UTC')::date < (slot AT TIME ZONE 'UTC')::date GROUP BY 1, 2, 3, 4
     EXCEPT SELECT site_id, currency, day, prev_day, n FROM commerce_customer_day_links)
    UNION ALL
    (SELECT site_id, currency, day, prev_day, n FROM commerce_customer_day_links
     EXCEPT SELECT site_id, currency, (slot AT TIME ZONE 'UTC')::date, coalesce((prev_slot AT TIME ZONE 'UTC')::date, '-infinity'), count(*)
       FROM commerce_customer_slots WHERE prev_slot IS NULL OR (prev_slot AT TIME ZONE 'UTC')::date < (slot AT TIME ZONE 'UTC')::date GROUP BY 1, 2, 3, 4)`);
  expect(diff.rows).toEqual([]);
  const first = await db.pool.query(`
    (SELECT site_id, currency, tally_slot(first_paid_at) AS slot, count(*) AS n FROM commerce_customer_first GROUP BY 1, 2, 3
     EXCEPT SELECT site_id, currency, slot, n FROM commerce_customer_first_slots)
    UNION ALL
    (SELECT site_id, currency, slot, n FROM commerce_customer_first_slots
     EXCEPT SELECT site_id, currency, tally_slot(first_paid_at), count(*) FROM commerce_customer_first GROUP BY 1, 2, 3)`);
  expect(first.rows).toEqual([]);
}

const tables = async () => ({
  links: (await db.pool.query(`SELECT * FROM commerce_customer_day_links ORDER BY site_id, currency, day, prev_day`)).rows,
  first: (await db.pool.query(`SELECT * FROM commerce_customer_first_slots ORDER BY site_id, currency, slot`)).rows,
  slots: (await db.pool.query(`SELECT * FROM commerce_customer_slots ORDER BY site_id, currency, slot, customer_hash`)).rows,
});

let orders: RawOrder[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  siteId = (await createSite(db.pool, { name: 'Shop', domain: 'customers.test', timezone: 'Asia/Kolkata', currency: 'EUR' })).id;
  orders = [
    ...makeOrders('o', 400),
    ...straddle.map(([id, customer, at]) => priced({ id, customer_id: customer, visitor_id: null, status: 'paid', currency: 'EUR', created_at: iso(at), items: makeItems(rand) }, rand)),
  ];
  await upsert(db.pool, siteId, 'orders', orders);
});

afterAll(async () => {
  await db?.drop();
});

describe('revenue customers (day links + quarter-hour edges)', () => {
  it('match the brute force after the first run', async () => {
    await sleep(1100);
    await runCommerceRollups({ pool: db.pool, signal });
    await checkAggregates();
    await checkRanges('first run');
    // Not vacuous: the straddling customers make the head and previous-day corrections count.
    const { rows } = await db.pool.query<{ customers: number }>(customersSql(siteId, 'EUR', new Date(A), new Date(A + 10 * DAY)));
    expect(rows[0]!.customers).toBeGreaterThan(0);
  });

  it('match after orders are re-sent across the range start, cancelled, re-currencied, re-owned and refunded (incremental run)', async () => {
    const paid = orders.filter((o) => PAID.has(o.status) && o.id.startsWith('o'));
    const byId = (id: string) => orders.find((o) => o.id === id)!;
    const changed: RawOrder[] = [
      { ...byId('s-before-inside'), created_at: iso(A + 2 * Q) }, // before the start → the head
      { ...byId('s-before-head-inside-2'), created_at: iso(A - 2 * Q) }, // head → before the start
      { ...byId('s-just-before'), status: 'cancelled' }, // the previous order of a later one goes
      { ...byId('s-day-before'), created_at: iso(A + 9 * DAY) }, // first order moves behind the second
      ...paid.slice(0, 6).map((o) => ({ ...o, status: 'cancelled' })),
      ...paid.slice(6, 12).map((o, i) => ({ ...o, created_at: iso(Date.parse(o.created_at) + (i % 2 ? -1 : 1) * (DAY + 5 * Q)) })),
      ...paid.slice(12, 16).map((o) => ({ ...o, currency: o.currency === 'EUR' ? 'USD' : 'EUR' })),
      ...paid.slice(16, 20).map((o, i) => ({ ...o, customer_id: `c-moved-${i % 2}` })),
      ...orders.filter((o) => o.status === 'pending').slice(0, 6).map((o) => ({ ...o, status: 'paid' })),
    ];
    await upsert(db.pool, siteId, 'orders', [...changed, ...makeOrders('n', 60)]);
    await upsert(db.pool, siteId, 'refunds', paid.slice(20, 26).map((o, i) => ({ id: `r${i}`, order_id: o.id, amount: 100, currency: o.currency, created_at: iso(Date.parse(o.created_at) + 2 * DAY) })));
    await upsert(db.pool, siteId, 'orders', paid.slice(20, 23).map((o) => ({ ...o, status: 'refunded' })));
    await sleep(1100);
    await runCommerceRollups({ pool: db.pool, signal });
    await checkAggregates();
    await checkRanges('incremental run');
  });

  it('sql/053 derives the same tables from an installation\'s existing rows', async () => {
    const incremental = await tables();
    const conversion = readFileSync(resolve(SQL_DIR, '053_commerce_customer_days.sql'), 'utf8').split('-- Existing installations')[1]!.replace(/^[^\n]*\n/, ''); // after the comment line
    await db.pool.query('TRUNCATE commerce_customer_day_links, commerce_customer_first_slots');
    await db.pool.query(conversion);
    expect(await tables()).toEqual(incremental);
  });

  it('a rebuild gives the same tables as the incremental runs', async () => {
    const incremental = await tables();
    await rebuildCommerceRollups({ pool: db.pool, signal });
    expect(await tables()).toEqual(incremental);
    await checkRanges('rebuild');
  });
});
