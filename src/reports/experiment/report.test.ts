import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bruteExperiment, type BruteMetric, type SentEvent, type SentOrder, type SentPageview, type SentRefund } from '../../../test/helpers/experiment-brute.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { upsert } from '../../../test/helpers/commerce-data.ts';
import { loadConfig } from '../../config.ts';
import { mulberry32 } from '../../demo/prng.ts';
import { experimentInputSchema } from '../../experiments/definition.ts';
import { saveExperiment } from '../../experiments/store.ts';
import { createApp } from '../../http/app.ts';
import { ingestDirect } from '../../ingest/writer/direct.ts';
import { createLogger } from '../../log.ts';
import { createSite } from '../../sites/sites.ts';
import { createToken } from '../../sites/tokens.ts';
import { addDays, localDateToUtc } from '../common/params.ts';
import { runExposureRollup } from './exposure-rollup.ts';
import { shapeReport, type ExperimentReport } from './report.ts';

/**
 * The report against bruteExperiment over data sent like /collect (ingestDirect) and orders
 * through the commerce upsert: conversions before and after exposure, visitors exposed to two
 * variants, exposures to a variant key the experiment lacks and to another experiment, orders
 * linked by customer id only, cancelled/pending and other-currency orders, refunds.
 */
let db: TestDatabase;
let app: ReturnType<typeof createApp>;
let site: { id: string };
let other: { id: string };
let readToken: string;
let otherToken: string;
const TZ = 'Europe/Paris';
const DAY = 86_400_000;
const T0 = Date.parse('2026-10-20T00:00:00Z');
const VARIANTS = ['control', 'treatment', 'bigger'];
const METRICS = {
  pay: { type: 'event', name: 'checkout', props: { step: 'pay' }, statistic: 'conversion' },
  checkouts: { type: 'event', name: 'checkout', statistic: 'count' },
  buyers: { type: 'order', statistic: 'conversion' },
  revenue: { type: 'order', statistic: 'revenue' },
  orders: { type: 'order', statistic: 'orders' },
} as const satisfies Record<string, BruteMetric>;

const events: SentEvent[] = [];
const pageviews: SentPageview[] = [];
const orders: SentOrder[] = [];
const refunds: SentRefund[] = [];

function generate(rand: () => number, prefix: string, visitors: number, from: number, days: number) {
  const at = () => from + Math.floor(rand() * days * DAY);
  for (let i = 0; i < visitors; i++) {
    const vid = `${prefix}${i}`;
    const variant = VARIANTS[Math.floor(rand() * 3)]!;
    const first = at();
    events.push({ vid, ts: first, name: '$exposure', props: { experiment: 'button', variant } });
    if (rand() < 0.3) events.push({ vid, ts: first + Math.floor(rand() * DAY), name: '$exposure', props: { experiment: 'button', variant } });
    if (rand() < 0.08) events.push({ vid, ts: first + Math.floor(rand() * 3 * DAY), name: '$exposure', props: { experiment: 'button', variant: VARIANTS[(VARIANTS.indexOf(variant) + 1) % 3]! } });
    if (rand() < 0.05) events.push({ vid, ts: first - DAY, name: '$exposure', props: { experiment: 'button', variant: 'ghost' } });
    if (rand() < 0.1) events.push({ vid, ts: first - 2 * DAY, name: '$exposure', props: { experiment: 'other', variant: 'control' } });
    const uid = rand() < 0.4 ? `c-${prefix}${i}` : undefined;
    if (uid) pageviews.push({ vid, ts: at(), uid });
    const checkouts = Math.floor(rand() * (variant === 'treatment' ? 4 : 3));
    for (let k = 0; k < checkouts; k++) {
      const ts = first + Math.floor((rand() - 0.3) * 4 * DAY); // about a third before the exposure
      events.push({ vid, ts, name: 'checkout', props: { step: rand() < 0.6 ? 'pay' : 'cart', n: k } });
    }
    const nOrders = rand() < 0.5 ? Math.floor(rand() * 3) : 0;
    for (let k = 0; k < nOrders; k++) {
      const id = `o-${vid}-${k}`;
      const byCustomer = uid !== undefined && rand() < 0.5;
      const r = rand();
      const status = r < 0.6 ? 'paid' : r < 0.7 ? 'fulfilled' : r < 0.8 ? 'refunded' : r < 0.9 ? 'cancelled' : 'pending';
      const total = 1000 + Math.floor(rand() * 9000);
      orders.push({
        id, visitor_id: byCustomer ? null : vid, customer_id: byCustomer ? uid! : null, status,
        currency: rand() < 0.9 ? 'EUR' : 'USD', total, created_at: first + Math.floor((rand() - 0.2) * 5 * DAY),
      });
      if (status === 'refunded' || rand() < 0.1) refunds.push({ order_id: id, amount: Math.min(total, 500 + Math.floor(rand() * 2000)), created_at: first + 6 * DAY });
    }
  }
}

async function send(siteId: string, list: SentEvent[], pvs: SentPageview[] = []) {
  const raw = [
    ...list.map((e) => ({ type: 'event', name: e.name, props: e.props, vid: e.vid, uid: e.uid, ts: e.ts })),
    ...pvs.map((p) => ({ type: 'pageview', url: 'https://shop.test/', vid: p.vid, uid: p.uid, ts: p.ts })),
  ];
  const r = await ingestDirect(db.pool, { siteId, events: raw });
  expect(r.rejected).toEqual([]);
}

async function sendOrders(siteId: string, list: SentOrder[], refundList: SentRefund[]) {
  await upsert(db.pool, siteId, 'orders', list.map((o) => ({
    id: o.id, visitor_id: o.visitor_id, customer_id: o.customer_id, status: o.status, currency: o.currency,
    subtotal: o.total, total: o.total, created_at: new Date(o.created_at).toISOString(),
    items: [{ product_id: 'p1', name: 'P1', quantity: 1, unit_price: o.total }],
  })));
  await upsert(db.pool, siteId, 'refunds', refundList.map((r, i) => ({
    id: `r-${r.order_id}-${i}`, order_id: r.order_id, amount: r.amount, currency: orders.find((o) => o.id === r.order_id)!.currency,
    created_at: new Date(r.created_at).toISOString(),
  })));
}

const get = (path: string, token = readToken) => app.request(path, { headers: { authorization: `Bearer ${token}` } });
const report = async (query: string, siteId = site.id, key = 'button') => {
  const res = await get(`/api/v1/sites/${siteId}/experiments/${key}/report?${query}`);
  expect(res.status).toBe(200);
  // `currency` (the unit of revenue_per_user, added for the dashboard) is checked here and left out of the comparisons.
  const { currency, ...body } = (await res.json()) as ExperimentReport & { currency: string };
  expect(currency).toMatch(/^[A-Z]{3}$/);
  return body;
};

function expected(metric: keyof typeof METRICS, engine: 'bayesian' | 'frequentist' | 'sequential', range: { from?: string; to: string }, currency = 'EUR') {
  const start = range.from ? localDateToUtc(range.from, TZ).getTime() : null;
  const end = localDateToUtc(addDays(range.to, 1), TZ).getTime();
  const { sums, multiple } = bruteExperiment({ experiment: 'button', variants: VARIANTS, events, pageviews, orders, refunds, metric: METRICS[metric], currency, start, end });
  const def = { key: 'button', variants: VARIANTS.map((key, i) => ({ key, weight: [0.4, 0.4, 0.2][i]! })) };
  return { sums, multiple, body: shapeReport(def, { key: metric, ...METRICS[metric] } as never, engine, sums, multiple) };
}

beforeAll(async () => {
  db = await createTestDatabase();
  app = createApp({ config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent'), registry: new Registry() });
  site = await createSite(db.pool, { name: 'exp report', domain: 'shop.test', timezone: TZ, currency: 'EUR' });
  other = await createSite(db.pool, { name: 'other', domain: 'other.test' });
  readToken = await createToken(db.pool, site.id, 'read');
  otherToken = await createToken(db.pool, other.id, 'read');
  const input = experimentInputSchema.parse({
    key: 'button', status: 'running',
    variants: VARIANTS.map((key, i) => ({ key, weight: [0.4, 0.4, 0.2][i] })),
    metrics: Object.entries(METRICS).map(([key, m]) => ({ key, ...m })),
  });
  await saveExperiment(db.pool, site.id, input);
  await saveExperiment(db.pool, site.id, experimentInputSchema.parse({ key: 'tiny', variants: [{ key: 'a', weight: 0.5 }, { key: 'b', weight: 0.5 }], metrics: [{ key: 'm', type: 'event', name: 'checkout' }] }));
  generate(mulberry32(17), 'v', 400, T0, 10);
  await send(site.id, events, pageviews);
  await sendOrders(site.id, orders, refunds);
  await runExposureRollup(db.pool);
}, 120_000);
afterAll(async () => db?.drop());

describe('experiment report vs the brute force', () => {
  for (const metric of Object.keys(METRICS) as (keyof typeof METRICS)[]) {
    for (const engine of ['bayesian', 'frequentist', 'sequential'] as const) {
      it(`${metric}, ${engine}, whole range`, async () => {
        const body = await report(`metric=${metric}&engine=${engine}&to=2026-11-30`);
        const want = expected(metric, engine, { to: '2026-11-30' });
        expect(body).toEqual(want.body);
      });
    }
  }

  it('the data covers the edge cases it is meant to', () => {
    const { sums, multiple } = expected('pay', 'bayesian', { to: '2026-11-30' });
    expect(multiple).toBeGreaterThan(10);
    expect(sums.every((s) => s.users > 50 && s.conversions > 5)).toBe(true);
    const firstOf = new Map<string, number>();
    for (const e of events) if (e.name === '$exposure' && e.props?.experiment === 'button' && e.props.variant !== 'ghost') firstOf.set(e.vid, Math.min(firstOf.get(e.vid) ?? Infinity, e.ts));
    expect(events.filter((e) => e.name === 'checkout' && e.ts < firstOf.get(e.vid)!).length).toBeGreaterThan(50);
    expect(orders.filter((o) => o.visitor_id === null && o.status === 'paid').length).toBeGreaterThan(10);
    expect(orders.filter((o) => o.status === 'cancelled').length).toBeGreaterThan(5);
    expect(refunds.length).toBeGreaterThan(5);
  });

  it('the default metric is the primary, the default engine bayesian, defaults to today', async () => {
    const body = await report('');
    expect(body).toEqual(expected('pay', 'bayesian', { to: '2030-01-01' }).body);
    expect(body.variants[0]).toMatchObject({ lift: null, ci: null, p_value: null, chance_to_win: null, risk: null, revenue_per_user: null });
    expect(body.variants[1]!.chance_to_win).toBeTypeOf('number');
    expect(body.variants[1]!.p_value).toBeNull();
  });

  it('from/to in the site zone bound first exposures and activity', async () => {
    for (const range of [{ from: '2026-10-23', to: '2026-10-26' }, { from: '2026-10-25', to: '2026-10-25' }, { to: '2026-10-24' }] as { from?: string; to: string }[]) {
      const q = new URLSearchParams({ metric: 'revenue', engine: 'frequentist', to: range.to, ...(range.from ? { from: range.from } : {}) });
      expect(await report(q.toString())).toEqual(expected('revenue', 'frequentist', range).body);
    }
  });

  it('series=true: per local day, the cumulative users and lift the report gives at that day’s end', async () => {
    const body = (await report('metric=orders&engine=frequentist&from=2026-10-21&to=2026-11-02&series=true')) as ExperimentReport & { series: { t: string; variants: { key: string; users: number; lift: number | null }[] }[] };
    expect(body.series.map((p) => p.t)).toEqual(Array.from({ length: 13 }, (_, i) => addDays('2026-10-21', i)));
    for (const point of body.series) {
      const want = expected('orders', 'frequentist', { from: '2026-10-21', to: point.t }).body;
      expect(point.variants).toEqual(want.variants.map((v) => ({ key: v.key, users: v.users, lift: v.lift })));
    }
    const { series, ...rest } = body;
    expect(series.at(-1)!.variants.map((v) => v.users)).toEqual(rest.variants.map((v) => v.users));
    expect(rest).toEqual(expected('orders', 'frequentist', { from: '2026-10-21', to: '2026-11-02' }).body);
  });

  it('another currency counts only its orders', async () => {
    expect(await report('metric=revenue&currency=USD&to=2026-11-30')).toEqual(expected('revenue', 'bayesian', { to: '2026-11-30' }, 'USD').body);
  });

  it('fewer than 2 users on a side: every statistic null; no exposures: SRM 1', async () => {
    const body = await report('', site.id, 'tiny');
    expect(body).toMatchObject({ key: 'tiny', metric: 'm', statistic: 'conversion', srm_p_value: 1, srm_warning: false, multiple_exposures: 0 });
    expect(body.variants.map((v) => [v.users, v.conversion_rate, v.lift])).toEqual([[0, null, null], [0, null, null]]);
  });

  it('new exposures are in the report after the next incremental run, equal to the brute force', async () => {
    const before = events.length;
    generate(mulberry32(99), 'w', 60, T0 + 3 * DAY, 5);
    const fresh = events.slice(before);
    await send(site.id, fresh.slice(0, 40));
    await runExposureRollup(db.pool);
    await send(site.id, fresh.slice(40), pageviews.filter((p) => p.vid.startsWith('w')));
    await sendOrders(site.id, orders.filter((o) => o.id.startsWith('o-w')), refunds.filter((r) => r.order_id.startsWith('o-w')));
    const outcome = await runExposureRollup(db.pool);
    expect(outcome.rows).toBeGreaterThan(0);
    for (const metric of ['pay', 'orders'] as const) {
      expect(await report(`metric=${metric}&engine=sequential&to=2026-11-30`)).toEqual(expected(metric, 'sequential', { to: '2026-11-30' }).body);
    }
  });
});

describe('experiment report: bad input and scope', () => {
  it('400 naming metric, engine, from, tz, currency', async () => {
    const cases: [string, string][] = [['metric=nope', 'metric'], ['engine=magic', 'engine'], ['from=2026-13-01', 'from'], ['tz=Mars/Base', 'tz'], ['currency=eur', 'currency'], ['from=2026-11-02&to=2026-11-01', 'from'], ['series=yes', 'series'], ['series=true&from=2026-01-01&to=2026-11-01', 'series']];
    for (const [q, field] of cases) {
      const res = await get(`/api/v1/sites/${site.id}/experiments/button/report?${q}`);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: string }).error).toContain(field);
    }
  });

  it('is in /openapi.json', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(doc.paths['/api/v1/sites/{siteId}/experiments/{key}/report']).toBeDefined();
  });

  it('unknown experiment → 404; another site’s token → 404; no token → 401', async () => {
    expect((await get(`/api/v1/sites/${site.id}/experiments/missing/report`)).status).toBe(404);
    expect((await get(`/api/v1/sites/${site.id}/experiments/button/report`, otherToken)).status).toBe(404);
    expect((await get(`/api/v1/sites/${other.id}/experiments/button/report`, otherToken)).status).toBe(404);
    expect((await app.request(`/api/v1/sites/${site.id}/experiments/button/report`)).status).toBe(401);
  });
});
