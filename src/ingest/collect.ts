import type pg from 'pg';
import { LRUCache } from 'lru-cache';
import { queryWithin } from '../db/deadline.ts';
import type { Logger } from '../log.ts';
import { lookupGeo } from './enrich/geo.ts';
import { parseUserAgent } from './enrich/ua.ts';
import { SaltCache, utcDay } from './enrich/visitor.ts';
import type { IngestMetrics } from './metrics.ts';
import { prepareEvent, type Sender } from './enrich/prepare.ts';
import { MAX_FUTURE_MS, MAX_PAST_MS, type ValidEvent } from './validate/schema.ts';
import { validateEvent } from './validate/validate.ts';
import { rowCount, TYPE_OF_TABLE, type PreparedEvent } from './tables.ts';
import type { InflightRows } from './inflight.ts';
import { NotDurableError, type IngestWriter } from './writer/writer.ts';

export const MAX_EVENTS = 500;
export const MAX_BODY_BYTES = 512 * 1024;

export interface SiteInfo {
  id: string;
  allowedOrigins: string[];
  visitorIdMode: 'auto' | 'cookieless';
}

/** What a public key Tally issued can look like (sites.ts: `pk_` + base64url). */
const ISSUABLE_KEY = /^[\x21-\x7e]{1,200}$/;

/** A site-setting change reaches every instance within this bound (docs/api.md "Site settings"). */
export const SITE_MAX_AGE_MS = 5_000;
/** Past this age an entry is still used, and refreshed in the background. */
export const SITE_FRESH_MS = 2_000;

interface SiteEntry {
  value: SiteInfo | 'none';
  /** When the query that produced it was sent (not answered): the bound holds from here. */
  loadedAt: number;
  /** Set by `invalidate`: answers of queries sent at or before it are not stored. */
  notBefore?: number;
}

/**
 * Public key → site, cached in process (positive and negative answers), stale-while-revalidate:
 * - younger than SITE_FRESH_MS (2 s): used as is;
 * - 2–5 s: used as is, and reloaded in the background (one query for every key due, however
 *   many beacons ask), so a site with steady traffic never makes a beacon wait for a query;
 * - older than SITE_MAX_AGE_MS (5 s), or never loaded: the beacon waits for the query.
 * An entry is only ever used while younger than 5 s counted from when its query was sent, so a
 * change committed at T (allowed_origins, visitor_id_mode, …) is applied to every beacon
 * received after T + 5 s on every instance; the instance that served the PATCH applies it at
 * once (`invalidate`). Cost: at most one indexed query per active key per 2 s per instance
 * (before: one per 30 s); see docs/api.md for the measurement.
 *
 * The query has a deadline (WRITE_TIMEOUT_MS); when it fails or times out, keys answered before
 * keep their last answer whatever its age (the LRU keeps it), so beacons of known sites still
 * reach the spool while PostgreSQL is down; only a key never seen gets the 503.
 */
export class SiteCache {
  private readonly cache = new LRUCache<string, SiteEntry>({ max: 50_000 });
  private readonly due = new Set<string>();
  private readonly refreshing = new Set<string>();
  private flushScheduled = false;
  private readonly maxAgeMs: number;
  private readonly freshMs: number;
  private readonly now: () => number;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: { timeoutMs: number; ttlMs?: number; freshMs?: number; now?: () => number },
  ) {
    this.maxAgeMs = options.ttlMs ?? SITE_MAX_AGE_MS;
    this.freshMs = Math.min(options.freshMs ?? SITE_FRESH_MS, this.maxAgeMs);
    this.now = options.now ?? Date.now;
  }

  async lookup(keys: string[]): Promise<Map<string, SiteInfo>> {
    const out = new Map<string, SiteInfo>();
    const missing: string[] = [];
    const now = this.now();
    for (const k of keys) {
      // Tally issues keys of printable ASCII (pk_ + base64url): anything else is unknown without
      // asking PostgreSQL, which would refuse a NUL in text — an error read as "database down"
      // (503) until the fuzz tests sent one.
      if (!ISSUABLE_KEY.test(k)) continue;
      const hit = this.cache.get(k);
      const age = hit ? now - hit.loadedAt : Infinity;
      if (!hit || age >= this.maxAgeMs) {
        missing.push(k);
        continue;
      }
      if (hit.value !== 'none') out.set(k, hit.value);
      if (age >= this.freshMs) this.refreshLater(k);
    }
    if (missing.length) {
      let found: Map<string, SiteInfo>;
      try {
        found = await this.load(missing);
      } catch (error) {
        for (const k of missing) {
          const stale = this.cache.get(k);
          if (stale === undefined) throw error;
          if (stale.value !== 'none') out.set(k, stale.value);
        }
        return out;
      }
      for (const k of missing) {
        const row = found.get(k);
        if (row) out.set(k, row);
      }
    }
    return out;
  }

  /** The next beacon of this key reloads it (the stale answer stays for a database outage). */
  invalidate(publicKey: string): void {
    const hit = this.cache.get(publicKey);
    if (hit) this.cache.set(publicKey, { value: hit.value, loadedAt: -Infinity, notBefore: this.now() });
  }

  /** Queries `keys` and stores the answers (missing keys as 'none'). */
  private async load(keys: string[]): Promise<Map<string, SiteInfo>> {
    const loadedAt = this.now();
    const r = await queryWithin<SiteInfo & { publicKey: string }>(
      this.pool,
      {
        text: `SELECT public_key AS "publicKey", id::text AS "id", allowed_origins AS "allowedOrigins", visitor_id_mode AS "visitorIdMode"
               FROM sites WHERE public_key = ANY($1::text[])`,
        values: [keys],
      },
      this.options.timeoutMs,
    );
    const found = new Map<string, SiteInfo>();
    for (const row of r.rows) found.set(row.publicKey, { id: row.id, allowedOrigins: row.allowedOrigins, visitorIdMode: row.visitorIdMode });
    for (const k of keys) {
      // Never overwrite a newer answer, nor store one an invalidation made out of date (a
      // background reload sent before the PATCH committed and answered after it).
      const cur = this.cache.get(k);
      if (cur && (cur.loadedAt > loadedAt || (cur.notBefore !== undefined && loadedAt <= cur.notBefore))) continue;
      this.cache.set(k, { value: found.get(k) ?? 'none', loadedAt });
    }
    return found;
  }

  /** Background reload: keys due in one tick share one query; a failure keeps the old answers. */
  private refreshLater(key: string): void {
    if (this.refreshing.has(key)) return;
    this.due.add(key);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const keys = [...this.due];
      this.due.clear();
      for (const k of keys) this.refreshing.add(k);
      this.load(keys)
        .catch(() => undefined)
        .finally(() => {
          for (const k of keys) this.refreshing.delete(k);
        });
    });
  }
}

export interface CollectContext {
  pool: pg.Pool;
  writer: IngestWriter;
  inflight: InflightRows;
  sites: SiteCache;
  salts: SaltCache;
  metrics: IngestMetrics;
  logger: Logger;
}

export interface CollectRequest {
  /** The parsed body: one event, an array, or {site, events}. */
  body: unknown;
  ip: string | null;
  ua: string;
  origin: string | null;
  now: number;
}

export type CollectResponse =
  | { status: 202; body: { accepted: number; rejected: Rejection[] } }
  | { status: 400 | 403 | 413 | 503; body: { error: string; rejected?: Rejection[] }; retryAfter?: number };

interface Rejection {
  index: number;
  error: string;
}

/** Origins compare on scheme://host[:port], case-insensitively, without a trailing slash. */
function originAllowed(origin: string, allowed: string[]): boolean {
  const norm = (s: string) => s.trim().replace(/\/+$/, '').toLowerCase();
  const o = norm(origin);
  return allowed.some((a) => norm(a) === o);
}

/**
 * The events of a body, with a batch-level `site` pushed into events that lack one. The body is
 * the caller's own parse and is consumed: events get `site` set in place (copying each event with
 * a spread cost 0.8 µs per event of the HTTP thread, 20-event batches).
 */
export function eventsOf(body: unknown): unknown[] | string {
  if (Array.isArray(body)) return body;
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    if ('events' in b) {
      if (!Array.isArray(b.events)) return 'events: must be an array';
      if (b.site === undefined) return b.events;
      for (const e of b.events as unknown[]) {
        if (e && typeof e === 'object' && !Array.isArray(e) && (e as Record<string, unknown>).site === undefined) (e as Record<string, unknown>).site = b.site;
      }
      return b.events;
    }
    return [body];
  }
  return 'body must be an event object, an array of events or {"site", "events"}';
}

/** A request's events ready for the writer, or the answer when there is nothing to write. */
interface Prepared {
  events: PreparedEvent[];
  rejected: Rejection[];
}

/**
 * The /collect pipeline after the body is parsed: validate each event, resolve sites, check the
 * origin, drop bots, enrich (`prepareRequest`), then hand everything to the group-commit writer
 * and answer once it is durable. Server-side ids and timestamps are assigned here, before any
 * spooling, so a replay writes the same keys.
 *
 * While the writer holds a request's events, nothing of the request but counts stays reachable
 * from here: `req.body` is consumed, the parsed and validated events die with `prepareRequest`,
 * and the prepared ones are handed over. In-flight rows are what memory is bounded by
 * (MAX_INFLIGHT_ROWS), and each used to keep ~3.3 KB alive (`loadtest/ingest/stall-memory.ts`).
 */
export async function collect(ctx: CollectContext, req: CollectRequest): Promise<CollectResponse> {
  const ready = await prepareRequest(ctx, req);
  if ('status' in ready) return ready;
  const { rejected } = ready;
  const accepted = ready.events.length;
  const rows = rowCount(ready.events);
  const byType = new Map<string, number>();
  for (const p of ready.events) byType.set(TYPE_OF_TABLE[p.table], (byType.get(TYPE_OF_TABLE[p.table]) ?? 0) + 1);
  const count = (outcome: string) => {
    for (const [type, n] of byType) ctx.metrics.events.inc({ type, outcome }, n);
  };
  if (!ctx.inflight.tryReserve(rows)) {
    count('overloaded');
    return { status: 503, body: { error: 'overloaded: too many events waiting to be written' }, retryAfter: 1 };
  }
  try {
    const events = ready.events;
    ready.events = [];
    await ctx.writer.submit(events);
  } catch (error) {
    count('unavailable');
    if (error instanceof NotDurableError) return { status: 503, body: { error: error.message }, retryAfter: 5 };
    throw error;
  } finally {
    ctx.inflight.release(rows);
  }
  count('accepted');
  return { status: 202, body: { accepted, rejected } };
}

async function prepareRequest(ctx: CollectContext, req: CollectRequest): Promise<Prepared | CollectResponse> {
  const raw = eventsOf(req.body);
  req.body = undefined; // consumed: the caller's reference must not keep the parsed body alive
  if (typeof raw === 'string') return { status: 400, body: { error: raw } };
  if (raw.length > MAX_EVENTS) return { status: 413, body: { error: `too many events: ${raw.length} (at most ${MAX_EVENTS} per request)` } };
  if (raw.length === 0) return { status: 400, body: { error: 'no events in the request' } };

  const rejected: Rejection[] = [];
  const reject = (index: number, error: string, reason: string, type = 'unknown') => {
    rejected.push({ index, error });
    ctx.metrics.rejections.inc({ reason });
    ctx.metrics.events.inc({ type, outcome: 'rejected' });
  };
  const valid: { index: number; event: ValidEvent }[] = [];
  for (let index = 0; index < raw.length; index++) {
    const v = validateEvent(raw[index]);
    if (!v.ok) {
      const t = (raw[index] as { type?: unknown } | null)?.type;
      reject(index, v.error, v.reason, typeof t === 'string' && t.length < 20 ? t : 'unknown');
      continue;
    }
    // ip/ua in the body are for server-side imports only; a browser's come from the request.
    delete v.event.ip;
    delete v.event.ua;
    if (v.event.ts !== undefined && (v.event.ts < req.now - MAX_PAST_MS || v.event.ts > req.now + MAX_FUTURE_MS)) {
      reject(index, 'ts: outside [now - 72 h, now + 5 min]; send history through `tally import`', 'ts_out_of_window', v.event.type);
      continue;
    }
    valid.push({ index, event: v.event });
  }

  let sites: Map<string, SiteInfo>;
  try {
    sites = await ctx.sites.lookup([...new Set(valid.map((v) => v.event.site))]);
  } catch (error) {
    ctx.logger.warn({ err: error }, 'site lookup failed');
    return { status: 503, body: { error: 'cannot verify the site key now (database unreachable)' }, retryAfter: 5 };
  }
  if (req.origin) {
    for (const [key, site] of sites) {
      if (site.allowedOrigins.length && !originAllowed(req.origin, site.allowedOrigins)) {
        ctx.metrics.requests.inc({ status: '403' });
        return { status: 403, body: { error: `origin ${req.origin} is not allowed for site ${key}` } };
      }
    }
  }

  const ua = parseUserAgent(req.ua);
  const geo = ua.bot ? undefined : lookupGeo(req.ip);
  const day = utcDay(req.now);
  let salt: Buffer | undefined;
  // One sender per site of the request: its events share the cookieless id (one HMAC).
  const senders = new Map<string, Sender>();
  const prepared: PreparedEvent[] = [];
  let bots = 0;
  for (const { index, event } of valid) {
    const site = sites.get(event.site);
    if (!site) {
      reject(index, 'site: unknown site key', 'unknown_site', event.type);
      continue;
    }
    if (ua.bot) {
      bots++;
      ctx.metrics.events.inc({ type: event.type, outcome: 'bot' });
      continue;
    }
    if (!salt && (site.visitorIdMode === 'cookieless' || !event.vid)) {
      try {
        salt = ctx.salts.cached(day) ?? (await ctx.salts.get(day));
      } catch (error) {
        ctx.logger.warn({ err: error }, 'visitor salt unavailable');
        return { status: 503, body: { error: 'cannot derive visitor ids now (database unreachable)' }, retryAfter: 5 };
      }
    }
    let sender = senders.get(site.id);
    if (!sender || (salt && sender.salt !== salt)) {
      sender = { siteId: site.id, visitorIdMode: site.visitorIdMode, ip: req.ip, ua: req.ua, receivedAt: req.now, salt: salt ?? NO_SALT, uaInfo: ua, geo };
      senders.set(site.id, sender);
    }
    const p = prepareEvent(event, sender);
    if (!p.bot) prepared.push(p.prepared);
  }
  rejected.sort((a, b) => a.index - b.index);
  if (bots) return { status: 202, body: { accepted: bots, rejected } };
  if (!prepared.length) return { status: 400, body: { error: 'no valid event in the request', rejected } };
  return { events: prepared, rejected };
}

const NO_SALT = Buffer.alloc(0);
