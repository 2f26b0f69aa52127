/**
 * Test-only: generated raw pageviews and an independent brute-force computation of the overview
 * in TypeScript (Intl for local dates; no code shared with the rollups or the report SQL).
 */
import type pg from 'pg';

export interface RawPageview {
  siteId: string;
  occurredAt: Date;
  visitorId: string;
  sessionId: string;
  path: string;
  host: string;
  refDomain: string | null;
  channel: string;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  country: string | null;
  browser: string | null;
  os: string | null;
  device: string;
  /** Filled after insert, for tie-breaking like the rollups (insertion order). */
  seq?: number;
}

export { mulberry32 as rng } from '../../src/demo/prng.ts';

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/**
 * Visits between `from` and `to` (UTC instants): each visit 1–5 pageviews a few minutes apart,
 * visitors reused across days so that summed daily counts would overcount.
 */
export function generateVisits(r: () => number, siteId: string, from: Date, to: Date, visits: number, visitorPool: number, prefix: string): RawPageview[] {
  const rows: RawPageview[] = [];
  const span = to.getTime() - from.getTime();
  for (let v = 0; v < visits; v++) {
    const visitor = `${prefix}v${Math.floor(r() * visitorPool)}`;
    const session = `${prefix}s${v}`;
    let t = from.getTime() + Math.floor(r() * span);
    const n = 1 + Math.floor(r() * r() * 5);
    const channel = pick(r, ['direct', 'organic_search', 'referral', 'paid_search', 'social', 'internal']);
    const ref = channel === 'direct' ? null : pick(r, ['google.com', 'news.ycombinator.com', 'facebook.com', 'shop.test']);
    const utm = r() < 0.3 ? pick(r, ['newsletter', 'google', 'fb']) : null;
    const country = pick(r, ['FR', 'US', 'DE', null]);
    const browser = pick(r, ['Chrome', 'Firefox', 'Safari']);
    const os = pick(r, ['Windows', 'macOS', 'iOS', 'Android']);
    const device = pick(r, ['desktop', 'mobile', 'tablet']);
    for (let i = 0; i < n; i++) {
      rows.push({
        siteId, occurredAt: new Date(t), visitorId: visitor, sessionId: session,
        path: pick(r, ['/', '/products/a', '/products/b', '/cart', '/checkout', '/blog/x']), host: 'shop.test',
        refDomain: i === 0 ? ref : 'shop.test', channel, utmSource: utm, utmMedium: utm ? 'email' : null, utmCampaign: utm ? 'spring' : null,
        country, browser, os, device,
      });
      t += Math.floor(r() * 600_000);
    }
  }
  return rows;
}

export async function insertPageviews(pool: pg.Pool | pg.ClientBase, rows: RawPageview[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 5000) {
    const chunk = rows.slice(i, i + 5000);
    const col = <K extends keyof RawPageview>(k: K) => chunk.map((x) => x[k]);
    const { rows: seqs } = await pool.query<{ seq: number }>({
      text: `INSERT INTO pageviews (site_id, occurred_at, received_at, event_id, visitor_id, session_id, url, host, path,
          ref_domain, channel, utm_source, utm_medium, utm_campaign, country, browser, os, device)
        SELECT s, o, now(), gen_random_uuid(), v, ss, 'https://' || h || p, h, p, rd, ch, us, um, uc, co, b, os, d
        FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
          $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[]) WITH ORDINALITY
          AS x(s, o, v, ss, h, p, rd, ch, us, um, uc, co, b, os, d, i)
        ORDER BY i
        RETURNING ingest_seq AS "seq"`,
      values: [col('siteId'), col('occurredAt'), col('visitorId'), col('sessionId'), col('host'), col('path'), col('refDomain'),
        col('channel'), col('utmSource'), col('utmMedium'), col('utmCampaign'), col('country'), col('browser'), col('os'), col('device')],
    });
    // nextval is evaluated in ORDINALITY order (ORDER BY i), so sequence numbers follow the array.
    seqs.sort((a, b) => a.seq - b.seq).forEach((s, j) => (chunk[j]!.seq = s.seq));
  }
}

// ---- brute force ------------------------------------------------------------------------------

const dateFmt = new Map<string, Intl.DateTimeFormat>();
export function localDate(d: Date, tz: string): string {
  let f = dateFmt.get(tz);
  if (!f) dateFmt.set(tz, (f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' })));
  return f.format(d);
}

function localHourLabel(d: Date, tz: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', timeZoneName: 'longOffset',
    }).formatToParts(d).map((p) => [p.type, p.value]),
  );
  const off = parts.timeZoneName === 'GMT' ? '+00:00' : parts.timeZoneName!.slice(3);
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:00${off}`;
}

function mondayOf(date: string): string {
  const d = new Date(`${date}T12:00:00Z`);
  const back = (d.getUTCDay() + 6) % 7;
  return new Date(d.getTime() - back * 86_400_000).toISOString().slice(0, 10);
}

export function bucketLabel(d: Date, tz: string, interval: string, from: string): string {
  if (interval === 'hour') return localHourLabel(new Date(Math.floor(d.getTime() / 3_600_000) * 3_600_000), tz);
  const day = localDate(d, tz);
  const start = interval === 'day' ? day : interval === 'week' ? mondayOf(day) : `${day.slice(0, 7)}-01`;
  return start < from ? from : start;
}

interface Session { site: string; visitor: string; first: RawPageview; last: RawPageview; n: number }

export function bruteOverview(all: RawPageview[], siteId: string, q: { from: string; to: string; tz: string; interval: string; siteTz: string }) {
  const rows = all.filter((x) => x.siteId === siteId);
  const inRange = (d: Date) => { const ld = localDate(d, q.tz); return ld >= q.from && ld <= q.to; };
  const order = (a: RawPageview, b: RawPageview) => a.occurredAt.getTime() - b.occurredAt.getTime() || a.seq! - b.seq!;
  const sessions = new Map<string, Session>();
  for (const x of [...rows].sort(order)) {
    const s = sessions.get(x.sessionId);
    if (!s) sessions.set(x.sessionId, { site: x.siteId, visitor: x.visitorId, first: x, last: x, n: 1 });
    else { s.last = x; s.n += 1; }
  }
  const pv = rows.filter((x) => inRange(x.occurredAt));
  const vs = [...sessions.values()].filter((s) => inRange(s.first.occurredAt));
  const visits = vs.length;
  const bounces = vs.filter((s) => s.n === 1).length;
  const duration = vs.reduce((a, s) => a + Math.floor((s.last.occurredAt.getTime() - s.first.occurredAt.getTime()) / 1000), 0);
  const series = new Map<string, { v: Set<string>; visits: number; pageviews: number }>();
  const cell = (t: string) => { let c = series.get(t); if (!c) series.set(t, (c = { v: new Set(), visits: 0, pageviews: 0 })); return c; };
  for (const x of pv) { const c = cell(bucketLabel(x.occurredAt, q.tz, q.interval, q.from)); c.v.add(x.visitorId); c.pageviews += 1; }
  for (const s of vs) cell(bucketLabel(s.first.occurredAt, q.tz, q.interval, q.from)).visits += 1;
  const keyOf: Record<string, (x: RawPageview) => string> = {
    pages: (x) => x.path, referrers: (x) => (x.refDomain === x.host || x.channel === 'internal' ? '' : x.refDomain ?? ''), channels: (x) => (x.channel === 'internal' ? '' : x.channel),
    utm_sources: (x) => x.utmSource ?? '', countries: (x) => x.country ?? '', browsers: (x) => x.browser ?? '', os: (x) => x.os ?? '', devices: (x) => x.device,
  };
  const top: Record<string, { key: string; visitors: number; pageviews: number }[]> = {};
  // Top-list visitors: unique per local day of the SITE, summed; outside the site's zone over the
  // site days whose midnight falls inside the requested range (see overview.ts topQuery).
  const siteMidnight = (day: string) => {
    // First instant whose site-local date is `day`: scan quarter hours around UTC midnight.
    const base = Date.parse(`${day}T00:00:00Z`);
    for (let t = base - 15 * 3_600_000; ; t += 900_000) if (localDate(new Date(t), q.siteTz) === day) return new Date(t);
  };
  const dayIn = new Map<string, boolean>();
  const siteDayCounts = (d: Date) => {
    const day = localDate(d, q.siteTz);
    if (q.siteTz === q.tz) return inRange(d);
    if (!dayIn.has(day)) dayIn.set(day, inRange(siteMidnight(day)));
    return dayIn.get(day)!;
  };
  for (const [name, f] of Object.entries(keyOf)) {
    const m = new Map<string, { v: Set<string>; n: number }>();
    for (const x of pv) {
      const k = f(x);
      if (k === '') continue;
      let e = m.get(k);
      if (!e) m.set(k, (e = { v: new Set(), n: 0 }));
      e.n += 1;
    }
    for (const x of rows) {
      const e = m.get(f(x));
      if (e && siteDayCounts(x.occurredAt)) e.v.add(`${localDate(x.occurredAt, q.siteTz)}|${x.visitorId}`);
    }
    top[name] = [...m.entries()].map(([key, e]) => ({ key, visitors: e.v.size, pageviews: e.n })).sort((a, b) => (a.key < b.key ? -1 : 1));
  }
  return {
    totals: {
      visitors: new Set(pv.map((x) => x.visitorId)).size, visits, pageviews: pv.length,
      bounce_rate: visits ? Math.round((bounces / visits) * 10_000) / 10_000 : 0,
      avg_visit_seconds: visits ? Math.round(duration / visits) : 0,
    },
    series,
    top,
  };
}
