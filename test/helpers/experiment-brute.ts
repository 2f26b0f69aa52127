/**
 * The experiment report computed row by row from what was sent (contract §7), independent of
 * the SQL and of the exposures rollup: first exposures, multiple exposures, event metrics and
 * order metrics linked by visitor id or by a `uid` the visitor sent, at or after first exposure.
 */
export interface SentEvent {
  vid: string;
  ts: number;
  name: string;
  props?: Record<string, string | number | boolean>;
  uid?: string;
}
export interface SentPageview {
  vid: string;
  ts: number;
  uid?: string;
}
export interface SentOrder {
  id: string;
  visitor_id: string | null;
  customer_id: string | null;
  status: string;
  currency: string;
  total: number;
  created_at: number;
}
export interface SentRefund {
  order_id: string;
  amount: number;
  created_at: number;
}
export type BruteMetric =
  | { type: 'event'; name: string; props?: Record<string, string | number | boolean>; statistic: 'conversion' | 'count' }
  | { type: 'order'; statistic: 'conversion' | 'revenue' | 'orders' };

export interface BruteSums {
  users: number;
  conversions: number;
  sum: number;
  sumSquares: number;
  revenue: number;
  /** The CUPED covariate: the same per-user value over the 14 days before the first exposure; Σ, Σ², Σ value × covariate. */
  preSum: number;
  preSumSquares: number;
  crossSum: number;
}

const PRE_MS = 14 * 86_400_000;

const PAID = new Set(['paid', 'fulfilled', 'refunded']);

export function bruteExperiment(input: {
  experiment: string;
  variants: string[];
  events: SentEvent[];
  pageviews: SentPageview[];
  orders: SentOrder[];
  refunds: SentRefund[];
  metric: BruteMetric;
  currency: string;
  start: number | null;
  end: number;
}): { sums: BruteSums[]; multiple: number } {
  const { end } = input;
  const visitors = new Set(input.events.map((e) => e.vid));
  const sums: BruteSums[] = input.variants.map(() => ({ users: 0, conversions: 0, sum: 0, sumSquares: 0, revenue: 0, preSum: 0, preSumSquares: 0, crossSum: 0 }));
  let multiple = 0;
  for (const vid of visitors) {
    const exposures = input.events.filter(
      (e) => e.vid === vid && e.name === '$exposure' && e.props?.experiment === input.experiment &&
        input.variants.includes(String(e.props?.variant)) && e.ts < end,
    );
    if (!exposures.length) continue;
    const first = Math.min(...exposures.map((e) => e.ts));
    if (input.start !== null && first < input.start) continue;
    const seen = new Set(exposures.map((e) => String(e.props!.variant)));
    if (seen.size > 1) {
      multiple++;
      continue;
    }
    const s = sums[input.variants.indexOf([...seen][0]!)]!;
    const m = input.metric;
    // One user's value over [from, to): x (the statistic), converted, revenue.
    const valueIn = (from: number, to: number): { x: number; converted: boolean; revenue: number } => {
      if (m.type === 'event') {
        const count = input.events.filter(
          (e) => e.vid === vid && e.name === m.name && e.ts >= from && e.ts < to &&
            Object.entries(m.props ?? {}).every(([k, v]) => e.props?.[k] === v),
        ).length;
        return { x: m.statistic === 'conversion' ? Number(count > 0) : count, converted: count > 0, revenue: 0 };
      }
      const uids = new Set(
        [...input.pageviews.filter((p) => p.vid === vid), ...input.events.filter((e) => e.vid === vid)].flatMap((r) => (r.uid ? [r.uid] : [])),
      );
      const linked = input.orders.filter(
        (o) => PAID.has(o.status) && o.currency === input.currency && o.created_at >= from && o.created_at < to &&
          (o.visitor_id === vid || (o.customer_id !== null && uids.has(o.customer_id))),
      );
      let revenue = 0;
      for (const o of linked) {
        revenue += o.total - input.refunds.filter((r) => r.order_id === o.id && r.created_at < end).reduce((a, r) => a + r.amount, 0);
      }
      const x = m.statistic === 'revenue' ? revenue : m.statistic === 'orders' ? linked.length : Number(linked.length > 0);
      return { x, converted: linked.length > 0, revenue };
    };
    const post = valueIn(first, end);
    const pre = valueIn(first - PRE_MS, first);
    const x = post.x;
    s.users++;
    if (post.converted) s.conversions++;
    s.sum += x;
    s.sumSquares += x * x;
    s.revenue += post.revenue;
    s.preSum += pre.x;
    s.preSumSquares += pre.x * pre.x;
    s.crossSum += x * pre.x;
  }
  return { sums, multiple };
}
