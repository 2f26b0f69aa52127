import { mulberry32 } from '../../src/demo/prng.ts';

/**
 * Generated site-search traffic for the search report tests: beacons as /collect would receive them
 * (fed to ingestDirect), around the Paris DST change (2026-10-25), with the edge cases:
 * one query in many spellings, unknown results, clicks before and after their search and in other
 * sessions, search-parameter pageviews, and orders just inside and just outside 7 days.
 */
export const SEARCH_START = Date.parse('2026-10-20T00:00:00Z');
export const SEARCH_END = Date.parse('2026-11-04T00:00:00Z');
const SPELLINGS = [
  ['Red Dress', '  red   DRESS ', 'RED DRESS!', 'red\u00a0dress'],
  ['Café', 'CAFE\u0301', 'café.'],
  ['shoes', '¿Shoes?', 'SHOES'],
  ['hat'], ['t-shirt', 'T-Shirt'], ['zzz nothing'], ['Été', 'ÉTÉ'],
];

export interface Beacon { [k: string]: unknown }
export interface GeneratedOrder { id: string; visitor_id: string | null; customer_id: string | null; status: string; currency: string; created_at: string; total: number }

export function generateSearchTraffic(seed: number, visitors: number, idPrefix = 'g'): { beacons: Beacon[]; orders: GeneratedOrder[] } {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const beacons: Beacon[] = [];
  const orders: GeneratedOrder[] = [];
  for (let v = 0; v < visitors; v++) {
    const vid = `${idPrefix}v${v}`;
    const uid = v % 4 === 0 ? `${idPrefix}c${v}` : null;
    const sessions = 1 + Math.floor(rand() * 3);
    for (let s = 0; s < sessions; s++) {
      const sid = `${vid}-s${s}`;
      let at = SEARCH_START + Math.floor(rand() * (SEARCH_END - SEARCH_START - 3_600_000));
      beacons.push({ type: 'pageview', url: 'https://shop.test/', vid, sid, ts: at, ...(uid && s === sessions - 1 ? { uid } : {}) });
      const n = 1 + Math.floor(rand() * 3);
      for (let i = 0; i < n; i++) {
        at += Math.floor(rand() * 600_000);
        const spelling = pick(pick(SPELLINGS));
        const r = rand();
        if (r < 0.25) {
          const param = pick(['q', 's', 'query']); // 'query' is not a search parameter of the site
          beacons.push({ type: 'pageview', url: `https://shop.test/search?${param}=${encodeURIComponent(spelling)}`, vid, sid, ts: at });
        } else {
          const results = r < 0.45 ? 0 : r < 0.6 ? undefined : Math.floor(rand() * 30);
          beacons.push({ type: 'event', name: 'search', props: { q: spelling, ...(results === undefined ? {} : { results }) }, vid, sid, ts: at });
        }
        const c = rand();
        if (c < 0.35) beacons.push({ type: 'event', name: 'search_click', props: { q: pick(SPELLINGS.find((x) => x.includes(spelling))!), position: 1 + Math.floor(rand() * 8), product_id: 'p1' }, vid, sid, ts: at + Math.floor(rand() * 120_000) });
        else if (c < 0.4) beacons.push({ type: 'event', name: 'search_click', props: { q: spelling, position: 2 }, vid, sid, ts: at - 60_000 }); // before: does not follow
        else if (c < 0.45) beacons.push({ type: 'event', name: 'search_click', props: { q: spelling, position: 3 }, vid, sid: `${sid}-other`, ts: at + 60_000 }); // other session
      }
      if (rand() < 0.3) {
        const delay = pick([3_600_000, 86_400_000, 7 * 86_400_000 - 1000, 7 * 86_400_000 + 1000, -60_000]);
        const byCustomer = uid !== null && rand() < 0.5;
        orders.push({
          id: `${idPrefix}o${v}-${s}`, visitor_id: byCustomer ? null : vid, customer_id: byCustomer ? uid : null,
          status: pick(['paid', 'paid', 'fulfilled', 'refunded', 'pending', 'cancelled']), currency: rand() < 0.85 ? 'EUR' : 'USD',
          created_at: new Date(at + delay).toISOString(), total: 1000 + Math.floor(rand() * 9000),
        });
      }
    }
  }
  return { beacons, orders };
}

/** An order body for POST …/orders (one item whose price is the total). */
export function orderBody(o: GeneratedOrder) {
  return { ...o, subtotal: o.total, discount: 0, tax: 0, shipping: 0, items: [{ product_id: 'p1', name: 'P1', quantity: 1, unit_price: o.total }] };
}
