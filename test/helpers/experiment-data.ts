import type pg from 'pg';
import { ingestDirect } from '../../src/ingest/writer/direct.ts';
import { upsert } from './commerce-data.ts';
import type { SentEvent, SentOrder, SentPageview, SentRefund } from './experiment-brute.ts';

/**
 * Generated experiment traffic for the experiment report tests (report.test.ts, kept-sums.test.ts):
 * first exposures, repeat exposures, exposures to a second variant, to a variant key the
 * definition lacks and to another experiment; uids sent in pageviews; checkout events about a third
 * of them before the exposure; orders by visitor id or by customer id only, every status, two
 * currencies, refunds. What was sent is kept in the arrays for the brute force.
 */
export const DAY = 86_400_000;

export class ExperimentTraffic {
  events: SentEvent[] = [];
  pageviews: SentPageview[] = [];
  orders: SentOrder[] = [];
  refunds: SentRefund[] = [];

  constructor(readonly experiment: string, readonly variants: string[]) {}

  generate(rand: () => number, prefix: string, visitors: number, from: number, days: number): void {
    const at = () => from + Math.floor(rand() * days * DAY);
    const V = this.variants;
    for (let i = 0; i < visitors; i++) {
      const vid = `${prefix}${i}`;
      const variant = V[Math.floor(rand() * V.length)]!;
      const first = at();
      const exp = this.experiment;
      this.events.push({ vid, ts: first, name: '$exposure', props: { experiment: exp, variant } });
      if (rand() < 0.3) this.events.push({ vid, ts: first + Math.floor(rand() * DAY), name: '$exposure', props: { experiment: exp, variant } });
      if (rand() < 0.08) this.events.push({ vid, ts: first + Math.floor(rand() * 3 * DAY), name: '$exposure', props: { experiment: exp, variant: V[(V.indexOf(variant) + 1) % V.length]! } });
      if (rand() < 0.05) this.events.push({ vid, ts: first - DAY, name: '$exposure', props: { experiment: exp, variant: 'ghost' } });
      if (rand() < 0.1) this.events.push({ vid, ts: first - 2 * DAY, name: '$exposure', props: { experiment: 'other', variant: 'control' } });
      const uid = rand() < 0.4 ? `c-${prefix}${i}` : undefined;
      if (uid) this.pageviews.push({ vid, ts: at(), uid });
      const checkouts = Math.floor(rand() * (variant === V[1] ? 4 : 3));
      for (let k = 0; k < checkouts; k++) {
        const ts = first + Math.floor((rand() - 0.3) * 4 * DAY); // about a third before the exposure
        this.events.push({ vid, ts, name: 'checkout', props: { step: rand() < 0.6 ? 'pay' : 'cart', n: k } });
      }
      const nOrders = rand() < 0.5 ? Math.floor(rand() * 3) : 0;
      for (let k = 0; k < nOrders; k++) {
        const id = `o-${vid}-${k}`;
        const byCustomer = uid !== undefined && rand() < 0.5;
        const r = rand();
        const status = r < 0.6 ? 'paid' : r < 0.7 ? 'fulfilled' : r < 0.8 ? 'refunded' : r < 0.9 ? 'cancelled' : 'pending';
        const total = 1000 + Math.floor(rand() * 9000);
        this.orders.push({
          id, visitor_id: byCustomer ? null : vid, customer_id: byCustomer ? uid! : null, status,
          currency: rand() < 0.9 ? 'EUR' : 'USD', total, created_at: first + Math.floor((rand() - 0.2) * 5 * DAY),
        });
        if (status === 'refunded' || rand() < 0.1) this.refunds.push({ order_id: id, amount: Math.min(total, 500 + Math.floor(rand() * 2000)), created_at: first + 6 * DAY });
      }
    }
  }
}

/** Events and pageviews through the real ingest path (as /collect would write them). */
export async function sendTraffic(pool: pg.Pool, siteId: string, events: SentEvent[], pageviews: SentPageview[] = []): Promise<void> {
  const raw = [
    ...events.map((e) => ({ type: 'event', name: e.name, props: e.props, vid: e.vid, uid: e.uid, ts: e.ts })),
    ...pageviews.map((p) => ({ type: 'pageview', url: 'https://shop.test/', vid: p.vid, uid: p.uid, ts: p.ts })),
  ];
  const r = await ingestDirect(pool, { siteId, events: raw });
  if (r.rejected.length) throw new Error(`rejected: ${JSON.stringify(r.rejected.slice(0, 3))}`);
}

/** Orders and refunds through the commerce upsert (a re-sent order replaces the stored one). */
export async function sendOrders(pool: pg.Pool, siteId: string, orders: SentOrder[], refunds: SentRefund[], all: SentOrder[] = orders): Promise<void> {
  await upsert(pool, siteId, 'orders', orders.map((o) => ({
    id: o.id, visitor_id: o.visitor_id, customer_id: o.customer_id, status: o.status, currency: o.currency,
    subtotal: o.total, total: o.total, created_at: new Date(o.created_at).toISOString(),
    items: [{ product_id: 'p1', name: 'P1', quantity: 1, unit_price: o.total }],
  })));
  await upsert(pool, siteId, 'refunds', refunds.map((r) => ({
    id: `r-${r.order_id}-${r.created_at}`, order_id: r.order_id, amount: r.amount, currency: all.find((o) => o.id === r.order_id)!.currency,
    created_at: new Date(r.created_at).toISOString(),
  })));
}
