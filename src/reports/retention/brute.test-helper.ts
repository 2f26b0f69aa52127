/**
 * Test-only brute force of the retention report (contract §4.2), straight from the raw rows:
 * no rollup, no SQL, no shared period code. Each instant gets its local date in tz (Intl), then
 * its period's first day; k is the whole number of periods between two such first days.
 */
export interface BrutePageview { visitor_id: string; occurred_at: string; event_id: string; channel: string; country: string | null; device: string }
export interface BruteOrder { id: string; customer_id: string | null; visitor_id: string | null; status: string; currency: string; total: number; created_at: string }
export interface BruteRefund { order_id: string; amount: number; currency: string; created_at: string }
export interface BruteData { pageviews: BrutePageview[]; orders: BruteOrder[]; refunds: BruteRefund[] }
export interface BruteQuery { cohort: 'visitor' | 'customer'; period: 'day' | 'week' | 'month'; from: string; to: string; tz: string; currency: string; segment?: 'channel' | 'country' | 'device' }

const PAID = new Set(['paid', 'fulfilled', 'refunded']);

const formats = new Map<string, Intl.DateTimeFormat>();
function localDate(at: string, tz: string): string {
  let f = formats.get(tz);
  if (!f) formats.set(tz, (f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' })));
  return f.format(new Date(at));
}
function periodOf(date: string, period: BruteQuery['period']): string {
  const d = new Date(`${date}T00:00:00Z`);
  if (period === 'day') return date;
  if (period === 'month') return `${date.slice(0, 7)}-01`;
  return new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * 86_400_000).toISOString().slice(0, 10);
}
function periodsBetween(a: string, b: string, period: BruteQuery['period']): number {
  if (period === 'month') return (Number(b.slice(0, 4)) - Number(a.slice(0, 4))) * 12 + Number(b.slice(5, 7)) - Number(a.slice(5, 7));
  const days = Math.round((Date.parse(b) - Date.parse(a)) / 86_400_000);
  return period === 'day' ? days : days / 7;
}
function before(a: { at: string; id: string }, b: { at: string; id: string }): boolean {
  const [ta, tb] = [Date.parse(a.at), Date.parse(b.at)];
  return ta < tb || (ta === tb && a.id < b.id);
}

interface Member { cohort: string; segment: string; active: Set<number>; net: Map<number, number>; secondDays?: number }

export function bruteRetention(data: BruteData, q: BruteQuery) {
  const inRange = (at: string) => localDate(at, q.tz) <= q.to;
  const k = (cohort: string, at: string) => periodsBetween(cohort, periodOf(localDate(at, q.tz), q.period), q.period);
  const firstTouch = new Map<string, BrutePageview>();
  for (const pv of data.pageviews) {
    const cur = firstTouch.get(pv.visitor_id);
    if (!cur || before({ at: pv.occurred_at, id: pv.event_id }, { at: cur.occurred_at, id: cur.event_id })) firstTouch.set(pv.visitor_id, pv);
  }
  const segOf = (pv: BrutePageview | undefined) => (!q.segment ? '' : !pv ? 'unknown' : q.segment === 'country' ? (pv.country ?? 'unknown') : pv[q.segment]);
  const members = new Map<string, Member>();
  if (q.cohort === 'visitor') {
    // Activity after the end of `to` is ignored (§4.2), the first pageview included: no member.
    for (const [vid, pv] of firstTouch) if (inRange(pv.occurred_at)) members.set(vid, { cohort: periodOf(localDate(pv.occurred_at, q.tz), q.period), segment: segOf(pv), active: new Set(), net: new Map() });
    for (const pv of data.pageviews) {
      const m = members.get(pv.visitor_id);
      if (m && inRange(pv.occurred_at)) m.active.add(k(m.cohort, pv.occurred_at));
    }
  } else {
    const byCustomer = new Map<string, BruteOrder[]>();
    for (const o of data.orders) {
      if (o.customer_id === null || !PAID.has(o.status)) continue;
      byCustomer.set(o.customer_id, [...(byCustomer.get(o.customer_id) ?? []), o]);
    }
    for (const [cid, list] of byCustomer) {
      list.sort((a, b) => (before({ at: a.created_at, id: a.id }, { at: b.created_at, id: b.id }) ? -1 : 1));
      const first = list[0]!;
      if (!inRange(first.created_at)) continue; // a first paid order after `to` makes no member yet
      const ft = first.visitor_id ? firstTouch.get(first.visitor_id) : undefined;
      const touch = ft && Date.parse(ft.occurred_at) <= Date.parse(first.created_at) ? ft : undefined;
      const m: Member = { cohort: periodOf(localDate(first.created_at, q.tz), q.period), segment: segOf(touch), active: new Set(), net: new Map() };
      const second = list[1];
      if (second && inRange(second.created_at)) m.secondDays = (Date.parse(second.created_at) - Date.parse(first.created_at)) / 86_400_000;
      for (const o of list) {
        if (!inRange(o.created_at)) continue;
        const kk = k(m.cohort, o.created_at);
        m.active.add(kk);
        if (o.currency === q.currency) m.net.set(kk, (m.net.get(kk) ?? 0) + o.total);
      }
      members.set(cid, m);
    }
    const orderCustomer = new Map(data.orders.map((o) => [o.id, o.customer_id]));
    for (const r of data.refunds) {
      const m = members.get(orderCustomer.get(r.order_id) ?? '');
      if (!m || r.currency !== q.currency || !inRange(r.created_at)) continue;
      const kk = k(m.cohort, r.created_at);
      if (kk >= 0) m.net.set(kk, (m.net.get(kk) ?? 0) - r.amount);
    }
  }
  const toPeriod = periodOf(q.to, q.period);
  const groups = new Map<string, Member[]>();
  for (const m of members.values()) {
    if (m.cohort < q.from || m.cohort > q.to) continue;
    const key = `${m.cohort}|${m.segment}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  const cohorts = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, list]) => {
    const [cohort, segment] = key.split('|') as [string, string];
    const last = periodsBetween(cohort, toPeriod, q.period);
    const size = list.length;
    const values = [];
    const revenue = [];
    let cum = 0;
    for (let kk = 0; kk <= last; kk++) {
      const count = list.filter((m) => m.active.has(kk)).length;
      values.push({ period: kk, count, rate: count / size });
      cum += list.reduce((s, m) => s + (m.net.get(kk) ?? 0), 0);
      revenue.push({ period: kk, cumulative_per_member: cum / size });
    }
    return { cohort, ...(q.segment ? { segment } : {}), size, values, ...(q.cohort === 'customer' ? { revenue } : {}), list };
  });
  const listed = cohorts.flatMap((c) => c.list);
  const days = listed.flatMap((m) => (m.secondDays === undefined ? [] : [m.secondDays])).sort((a, b) => a - b);
  const mid = days.length / 2;
  const median = days.length === 0 ? null : days.length % 2 ? days[Math.floor(mid)]! : (days[mid - 1]! + days[mid]!) / 2;
  return {
    cohorts: cohorts.map(({ list: _list, ...c }) => c),
    repeat_purchase_rate: listed.length ? days.length / listed.length : 0,
    median_days_to_second_order: median,
  };
}
