import type { Customer, Order, OrderItem, Refund } from '../commerce/schemas.ts';
import { errorFingerprint } from '../reports/errors/fingerprint.ts';
import { classifySource, type SourceInfo } from '../ingest/enrich/referrer.ts';
import { parseUserAgent, type UserAgentInfo } from '../ingest/enrich/ua.ts';
import type { RawTable } from '../ingest/tables.ts';
import { sessionIdFor } from '../ingest/writer/sessions.ts';
import type { CopyValue } from '../ingest/writer/copy.ts';
import { Rng } from './prng.ts';
import { planSearch } from './searches.ts';
import { demoDiscountCodes } from './discounts.ts';
import {
  CATEGORIES, COUNTRIES, DEVICE_WEIGHTS, DEVICES, EXPERIMENT, HOST, HOUR_WEIGHT, JS_ERRORS, ORIGIN, PRODUCTS,
  REFUND_REASONS, SOURCES, USER_AGENTS, WEEKDAY_WEIGHT, price, type Country, type Device, type Product, type Source,
} from './world.ts';

/**
 * Simulates the demo store's shoppers, one visitor at a time, and hands the sink rows exactly
 * as the /collect path would store them (enrichment precomputed with the ingestion's own
 * classifySource / parseUserAgent; geo as geoip-lite reports the visitor's city) plus the
 * orders, customers and refunds their purchases make. Deterministic for a seed.
 *
 * Funnel per visit (conditional probabilities, scaled by the source's and the shopper's intent):
 * landing → (38% bounce) → browse → product page → add_to_cart → checkout ($exposure of the
 * checkout_button experiment) → purchase. The treatment variant converts ~12% better.
 */
export interface DemoSink {
  row(table: RawTable, cells: CopyValue[]): void;
  order(order: Order): void;
  customer(customer: Customer): void;
  refund(refund: Refund): void;
  /** Called between visitors: the sink may wait here for its writes (backpressure). */
  maybeDrain(): Promise<void>;
}

export interface SimulationParams {
  siteId: string;
  seed: number;
  days: number;
  visitors: number;
  /** Epoch ms of the end of the simulated period (exclusive); the demo uses today 00:00 UTC. */
  endMs: number;
  /** Multiplies the add-to-cart, checkout and purchase probabilities. */
  conversionBoost?: number;
  /** Scale mode: simulate visitors (at most `visitors`) until this many raw rows exist. */
  targetRows?: number;
  /**
   * Scale mode: steer conversion so that about this many orders exist at the end (a feedback
   * loop on the boost every 500 visitors: deterministic, and exact enough for benchmarks).
   */
  targetOrders?: number;
}

export interface SimulationStats {
  visitors: number;
  visits: number;
  rows: Record<RawTable, number>;
  orders: number;
  customers: number;
  refunds: number;
}

const DAY_MS = 86_400_000;
const P_BOUNCE = 0.38;
const P_PRODUCT = 0.7;
const P_CART = 0.06;
const P_CHECKOUT = 0.55;
const P_BUY = { control: 0.45, treatment: 0.5 } as const;
const REFUND_RATE = 0.03;

interface Visitor {
  vid: string;
  country: Country;
  device: Device;
  ua: string;
  uaInfo: UserAgentInfo;
  screen: number;
  vw: number;
  vh: number;
  source: Source;
  propensity: number;
  variant: (typeof EXPERIMENT.variants)[number];
  customerId: string | null;
  orders: number;
}

interface Page {
  path: string;
  title: string;
  product?: Product;
}

let isoDay = -1;
let isoPrefix = '';
/** new Date(ts).toISOString() without the Date: the demo formats tens of millions of them. */
export function isoTime(ts: number): string {
  const day = Math.floor(ts / DAY_MS);
  if (day !== isoDay) {
    isoDay = day;
    isoPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
  }
  let ms = ts - day * DAY_MS;
  const h = Math.floor(ms / 3_600_000);
  ms -= h * 3_600_000;
  const m = Math.floor(ms / 60_000);
  ms -= m * 60_000;
  const sec = Math.floor(ms / 1000);
  ms -= sec * 1000;
  return `${isoPrefix}${h < 10 ? '0' : ''}${h}:${m < 10 ? '0' : ''}${m}:${sec < 10 ? '0' : ''}${sec}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
}

function cumulative(weights: number[]): number[] {
  let sum = 0;
  return weights.map((w) => (sum += w));
}

function sampleIndex(rng: Rng, cum: number[]): number {
  const r = rng.next() * cum[cum.length - 1]!;
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid]! > r) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export class StoreSimulation {
  readonly stats: SimulationStats = {
    visitors: 0, visits: 0, orders: 0, customers: 0, refunds: 0,
    rows: { pageviews: 0, events: 0, heatmap_points: 0, errors: 0, vitals: 0 },
  };
  private readonly rng: Rng;
  /** Site search draws from its own stream, so the rest of a seed's demo is what it was without searches. */
  private readonly searchRng: Rng;
  private readonly startMs: number;
  private readonly dayCum: number[];
  private readonly hourCum = cumulative(HOUR_WEIGHT);
  private readonly productCum = cumulative(PRODUCTS.map((p) => p.weight));
  private readonly landingCache = new Map<string, SourceInfo>();
  private boost: number;

  constructor(private readonly params: SimulationParams, private readonly sink: DemoSink) {
    this.rng = new Rng(params.seed);
    this.searchRng = new Rng(params.seed ^ 0x5ea4c);
    this.startMs = params.endMs - params.days * DAY_MS;
    this.boost = params.conversionBoost ?? 1;
    // Traffic grows ~40% over the period, with weekly seasonality.
    this.dayCum = cumulative(
      Array.from({ length: params.days }, (_, d) => (1 + (0.4 * d) / params.days) * WEEKDAY_WEIGHT[new Date(this.startMs + d * DAY_MS).getUTCDay()]!),
    );
  }

  async run(): Promise<SimulationStats> {
    const { targetRows, targetOrders, visitors } = this.params;
    for (let i = 0; i < visitors; i++) {
      if (targetRows !== undefined && this.totalRows() >= targetRows) break;
      this.visitor();
      if (targetOrders !== undefined && i % 500 === 499) this.steer(i + 1, targetOrders);
      await this.sink.maybeDrain();
    }
    return this.stats;
  }

  private totalRows(): number {
    const r = this.stats.rows;
    return r.pageviews + r.events + r.heatmap_points + r.errors + r.vitals;
  }

  /** Nudges the boost towards the order count expected at this point of the run. */
  private steer(done: number, targetOrders: number): void {
    const progress = this.params.targetRows !== undefined ? this.totalRows() / this.params.targetRows : done / this.params.visitors;
    const ratio = (targetOrders * Math.min(1, progress) + 1) / (this.stats.orders + 1);
    this.boost = Math.min(50, Math.max(0.01, this.boost * Math.min(1.25, Math.max(0.8, Math.cbrt(ratio)))));
  }

  private newVisitor(): Visitor {
    const rng = this.rng;
    const country = rng.weighted(COUNTRIES, COUNTRIES.map((c) => c.weight));
    const device = rng.weighted(DEVICES, DEVICE_WEIGHTS);
    const agent = rng.weighted(USER_AGENTS[device], USER_AGENTS[device].map((u) => u.weight));
    return {
      vid: `v_${rng.id(16)}`,
      country,
      device,
      ua: agent.ua,
      uaInfo: parseUserAgent(agent.ua),
      screen: agent.screen,
      vw: agent.vw,
      vh: agent.vh,
      source: rng.weighted(SOURCES, SOURCES.map((s) => s.weight)),
      propensity: rng.logNormal(1, 0.5),
      variant: rng.chance(0.5) ? 'control' : 'treatment',
      customerId: null,
      orders: 0,
    };
  }

  private visitor(): void {
    const rng = this.rng;
    const v = this.newVisitor();
    this.stats.visitors++;
    let day = sampleIndex(rng, this.dayCum);
    let visits = 1 + rng.geometric(0.55);
    let first = true;
    while (visits > 0 && day < this.params.days) {
      visits--;
      const ordersBefore = v.orders;
      const source = first ? v.source : v.customerId && rng.chance(0.3) ? SOURCES.find((s) => s.key === 'newsletter')! : rng.chance(0.5) ? SOURCES.find((s) => s.key === 'direct')! : v.source;
      this.visit(v, day, source, first ? 1 : 1.3);
      first = false;
      // A purchase makes a return visit (and a repeat purchase) likelier: cohorts need them.
      if (v.orders > ordersBefore && rng.chance(0.7)) visits++;
      day += v.orders > ordersBefore ? rng.int(7, 45) : 1 + rng.geometric(0.15);
    }
  }

  private visitStart(v: Visitor, day: number): number {
    const localHour = sampleIndex(this.rng, this.hourCum);
    const utcHour = (localHour - v.country.utcOffset + 24) % 24;
    // That UTC time of day within the 24 h window of simulated day `day` (the window need not
    // start at UTC midnight: the demo's days are the site's local days).
    const base = this.startMs + day * DAY_MS;
    const timeOfDay = utcHour * 3_600_000 + this.rng.int(0, 3_599_999);
    return base + ((((timeOfDay - base) % DAY_MS) + DAY_MS) % DAY_MS);
  }

  private pickProduct(category?: string): Product {
    if (category) {
      const inCategory = PRODUCTS.filter((p) => p.category === category);
      return this.rng.weighted(inCategory, inCategory.map((p) => p.weight));
    }
    return PRODUCTS[sampleIndex(this.rng, this.productCum)]!;
  }

  private visit(v: Visitor, day: number, source: Source, returning: number): void {
    const rng = this.rng;
    this.stats.visits++;
    let ts = this.visitStart(v, day);
    const sid = sessionIdFor(this.params.siteId, v.vid, ts);
    const intent = source.intent * v.propensity * returning * (v.orders > 0 ? 2.5 : 1);
    const loggedIn = v.customerId !== null && rng.chance(0.7);
    const uid = loggedIn ? v.customerId : null;

    const productPage = (p: Product): Page => ({ path: `/products/${p.slug}`, title: `${p.name} — Demo Store`, product: p });
    const landingRoll = rng.next();
    const pages: Page[] = [];
    if (landingRoll < 0.45) pages.push({ path: '/', title: 'Demo Store — Everyday goods' });
    else if (landingRoll < 0.8) pages.push(productPage(this.pickProduct()));
    else {
      const c = rng.pick(CATEGORIES);
      pages.push({ path: `/collections/${c.toLowerCase()}`, title: `${c} — Demo Store` });
    }
    const bounced = rng.chance(P_BOUNCE / Math.min(1.5, Math.max(0.7, intent)));
    if (!bounced) {
      const extra = 1 + rng.geometric(0.4);
      for (let i = 0; i < extra; i++) {
        const roll = rng.next();
        if (roll < 0.55) pages.push(productPage(this.pickProduct(rng.chance(0.5) ? rng.pick(CATEGORIES) : undefined)));
        else if (roll < 0.85) {
          const c = rng.pick(CATEGORIES);
          pages.push({ path: `/collections/${c.toLowerCase()}`, title: `${c} — Demo Store` });
        } else pages.push({ path: rng.chance(0.5) ? '/' : '/search', title: 'Demo Store' });
      }
    }
    let lastProduct = [...pages].reverse().find((p) => p.product)?.product;
    if (!bounced && !lastProduct && rng.chance(P_PRODUCT)) {
      lastProduct = this.pickProduct();
      pages.push(productPage(lastProduct));
    }
    const carted = !bounced && lastProduct !== undefined && rng.chance(Math.min(0.95, P_CART * intent * this.boost));
    const checkedOut = carted && rng.chance(Math.min(0.95, P_CHECKOUT * Math.sqrt(intent) * this.boost));
    const bought = checkedOut && rng.chance(Math.min(0.97, P_BUY[v.variant] * Math.sqrt(intent) * this.boost));

    if (!bounced) {
      for (const e of planSearch(this.searchRng, lastProduct, bought)) this.event(v, sid, uid, ts + e.offsetMs, e.name, e.props, `${ORIGIN}/search`, source, undefined, this.searchRng);
    }
    let ref: string | null = source.referrer;
    pages.forEach((page, i) => {
      const query = i === 0 ? source.query : '';
      this.pageview(v, sid, uid, ts, page, query, ref);
      ref = `${ORIGIN}${page.path}`;
      if (i < pages.length - 1 || carted) ts += Math.max(3_000, Math.round(rng.logNormal(35_000, 0.8)));
    });
    if (!carted || !lastProduct) return;
    const cartUrl = `${ORIGIN}/products/${lastProduct.slug}`;
    this.event(v, sid, uid, ts - 1_000, 'add_to_cart', { product_id: lastProduct.id, price: price(lastProduct, v.country.currency), currency: v.country.currency }, cartUrl, source);
    this.pageview(v, sid, uid, ts, { path: '/cart', title: 'Your cart — Demo Store' }, '', ref);
    if (!checkedOut) return;
    ts += Math.round(rng.logNormal(25_000, 0.6));
    this.pageview(v, sid, uid, ts, { path: '/checkout', title: 'Checkout — Demo Store' }, '', `${ORIGIN}/cart`);
    this.event(v, sid, uid, ts + 800, '$exposure', { experiment: EXPERIMENT.key, variant: v.variant }, `${ORIGIN}/checkout`, source);
    this.event(v, sid, uid, ts + 1_000, 'begin_checkout', {}, `${ORIGIN}/checkout`, source);
    if (!bought) return;
    ts += Math.round(rng.logNormal(90_000, 0.5));
    const order = this.order(v, ts, lastProduct);
    this.event(v, sid, v.customerId, ts, 'purchase', { order_id: order.id }, `${ORIGIN}/checkout`, source, { amount: order.total, currency: order.currency });
    this.pageview(v, sid, v.customerId, ts + 1_500, { path: '/checkout/thank-you', title: 'Thank you — Demo Store' }, '', `${ORIGIN}/checkout`);
  }

  private landing(page: Page, query: string, ref: string | null): SourceInfo {
    const key = `${page.path}${query}\u0000${ref ?? ''}`;
    let src = this.landingCache.get(key);
    if (!src) {
      src = classifySource(`${ORIGIN}${page.path}${query}`, ref);
      this.landingCache.set(key, src);
    }
    return src;
  }

  /** site, occurred_at, received_at (= occurred_at: the demo has no network delay), event id, visitor, session. */
  private common(v: Visitor, sid: string, ts: number, rng: Rng = this.rng): CopyValue[] {
    const at = isoTime(ts);
    return [this.params.siteId, at, at, rng.uuid(), v.vid, sid];
  }

  private pageview(v: Visitor, sid: string, uid: string | null, ts: number, page: Page, query: string, ref: string | null): void {
    const rng = this.rng;
    const src = this.landing(page, query, ref);
    const url = `${ORIGIN}${page.path}${query}`;
    const ua = v.uaInfo;
    this.sink.row('pageviews', [
      ...this.common(v, sid, ts), uid, url, HOST, page.path, page.title, ref, src.refDomain, src.channel,
      src.utmSource, src.utmMedium, src.utmCampaign, src.utmTerm, src.utmContent, src.clickIdKind, src.clickId,
      ua.browser, ua.browserVersion, ua.os, ua.osVersion, ua.device, v.country.code, v.country.region, v.country.city,
      v.screen, v.vw, v.vh,
    ]);
    this.stats.rows.pageviews++;
    const pageUrl = `${ORIGIN}${page.path}`;
    // Core Web Vitals from ~70% of page views (the rest leave before the beacon).
    if (rng.chance(0.7)) {
      const slow = v.device === 'desktop' ? 1 : 1.6;
      this.sink.row('vitals', [
        ...this.common(v, sid, ts + 5_000), pageUrl, HOST, page.path,
        Math.round(rng.logNormal(1_900 * slow, 0.45)), Math.round(rng.logNormal(140 * slow, 0.6)),
        Number(Math.min(1, rng.logNormal(0.04, 1.1)).toFixed(3)), Math.round(rng.logNormal(1_100 * slow, 0.4)),
        Math.round(rng.logNormal(320, 0.5)), ua.device, v.country.code, ua.browser,
      ]);
      this.stats.rows.vitals++;
    }
    if ((page.product || page.path === '/') && rng.chance(0.5)) this.heatmap(v, sid, ts + 20_000, pageUrl, page.path, page.product !== undefined);
    for (const e of JS_ERRORS) {
      if (!page.path.startsWith(e.path) || (e.path === '/' && page.path !== '/')) continue;
      if (e.browser && ua.browser !== e.browser && !(e.browser === 'Safari' && ua.browser === 'Mobile Safari')) continue;
      if (!rng.chance(e.rate)) continue;
      const stack = `${e.kind}: ${e.message}\n    at ${e.file}:${e.line}:${e.col}`;
      this.sink.row('errors', [
        ...this.common(v, sid, ts + 2_000), pageUrl, HOST, page.path, errorFingerprint({ kind: e.kind, message: e.message, stack, file: e.file }), e.kind, e.message,
        stack, e.file, e.line, e.col, false, ua.browser, ua.browserVersion, ua.os, ua.device,
      ]);
      this.stats.rows.errors++;
    }
  }

  /** Clicks on a product page: gallery, size picker (rage-clicked: it is slow to open on mobile), add-to-cart. */
  private heatmap(v: Visitor, sid: string, ts: number, url: string, path: string, product: boolean): void {
    const rng = this.rng;
    const w = v.vw;
    const docHeight = product ? 2_400 : 3_200;
    // One beacon: its points share one event id, as /collect stores them.
    const head = [...this.common(v, sid, ts), url, HOST, path, v.device, w, docHeight, Math.min(100, Math.round(rng.next() * 100))];
    const points: [number, number, string, string | null][] = [];
    const n = rng.int(1, 4);
    for (let i = 0; i < n; i++) {
      const roll = rng.next();
      if (product && roll < 0.35) points.push([Math.round(w * (w < 700 ? 0.5 : 0.72) + rng.normal() * 40), Math.round((w < 700 ? 900 : 520) + rng.normal() * 18), 'click', 'button.add-to-cart']);
      else if (product && roll < 0.6) points.push([Math.round(w * (w < 700 ? 0.5 : 0.28) + rng.normal() * 120), Math.round(360 + rng.normal() * 120), 'click', 'img.gallery-main']);
      else if (product && roll < 0.75) points.push([Math.round(w * (w < 700 ? 0.5 : 0.72) + rng.normal() * 30), Math.round((w < 700 ? 780 : 430) + rng.normal() * 10), 'click', 'select#size-picker']);
      else points.push([Math.round(rng.next() * w), Math.round(rng.next() * docHeight * 0.6), rng.chance(0.15) ? 'dead' : 'click', null]);
    }
    if (product && rng.chance(v.device === 'mobile' ? 0.06 : 0.02)) points.push([Math.round(w * 0.5 + rng.normal() * 8), Math.round((w < 700 ? 780 : 430) + rng.normal() * 5), 'rage', 'select#size-picker']);
    for (const [x, y, kind, sel] of points) {
      this.sink.row('heatmap_points', [...head, Math.max(0, x), Math.max(0, y), kind, sel]);
      this.stats.rows.heatmap_points++;
    }
  }

  private event(v: Visitor, sid: string, uid: string | null, ts: number, name: string, props: Record<string, string | number>, url: string, source: Source, revenue?: { amount: number; currency: string }, rng: Rng = this.rng): void {
    const ua = v.uaInfo;
    const path = new URL(url).pathname;
    this.sink.row('events', [
      ...this.common(v, sid, ts, rng), uid, name, JSON.stringify(props), revenue?.amount ?? null, revenue?.currency ?? null, url, HOST, path,
      this.landing({ path: '/', title: '' }, source.query, source.referrer).channel, ua.browser, ua.os, ua.device, v.country.code,
    ]);
    this.stats.rows.events++;
  }

  private order(v: Visitor, ts: number, main: Product): Order {
    const rng = this.rng;
    const currency = v.country.currency;
    if (!v.customerId) {
      this.stats.customers++;
      v.customerId = `cus_${String(this.stats.customers).padStart(6, '0')}`;
      this.sink.customer({ id: v.customerId, email: `shopper${this.stats.customers}@example.com`, created_at: new Date(ts - 60_000).toISOString(), visitor_id: v.vid });
    }
    v.orders++;
    this.stats.orders++;
    const products = [main];
    const lines = rng.chance(0.7) ? 1 : rng.int(2, 3);
    while (products.length < lines) {
      const p = this.pickProduct(rng.chance(0.6) ? main.category : undefined);
      if (!products.includes(p)) products.push(p);
    }
    const items: OrderItem[] = products.map((p) => ({
      product_id: p.id, sku: p.sku, name: p.name, category: p.category, quantity: rng.chance(0.85) ? 1 : 2, unit_price: price(p, currency),
    }));
    const subtotal = items.reduce((s, i) => s + i.quantity * i.unit_price, 0);
    const discount = rng.chance(0.14) ? Math.round(subtotal * 0.1) : 0;
    const tax = Math.round((subtotal - discount) * v.country.taxRate);
    const shipping = subtotal - discount >= 7_500 ? 0 : currency === 'USD' ? 599 : 499;
    const total = subtotal - discount + tax + shipping;
    const id = `ord_${String(100_000 + this.stats.orders)}`;
    const ageDays = (this.params.endMs - ts) / DAY_MS;
    let status: Order['status'] = ageDays > 3 ? 'fulfilled' : 'paid';
    let paymentStatus: Order['payment_status'] = 'paid';
    if (rng.chance(0.015)) {
      status = 'cancelled';
      paymentStatus = 'voided';
    } else if (rng.chance(REFUND_RATE)) {
      const full = rng.chance(0.6);
      const amount = full ? total : Math.min(total, items[0]!.unit_price);
      const refundTs = Math.min(ts + rng.int(1, 14) * DAY_MS + rng.int(0, DAY_MS - 1), this.params.endMs - 60_000);
      if (refundTs > ts) {
        this.stats.refunds++;
        this.sink.refund({ id: `re_${id}`, order_id: id, amount, currency, created_at: new Date(refundTs).toISOString(), reason: rng.pick(REFUND_REASONS) });
        if (amount === total) status = 'refunded';
        paymentStatus = amount === total ? 'refunded' : 'partially_refunded';
      }
    }
    const order: Order = {
      id, customer_id: v.customerId, visitor_id: v.vid, status, payment_status: paymentStatus, currency,
      subtotal, discount, tax, shipping, total, created_at: new Date(ts).toISOString(), items,
      discount_codes: demoDiscountCodes({ firstOrder: v.orders === 1, orderNumber: this.stats.orders, discount, shipping }),
    };
    this.sink.order(order);
    return order;
  }
}
