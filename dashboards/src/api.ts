// Response row types are the server's own (type-only imports: erased from the browser bundle).
import type { ProductRow } from '../../src/reports/products/report.ts';
import type { RevenueReport, RevenueTotals } from '../../src/reports/revenue/report.ts';

export type { ProductRow, RevenueTotals };

/**
 * The report API as the dashboard uses it: every call carries `Authorization: Bearer`, and every
 * non-2xx answer becomes an ApiError with the server's `{error}` message (400 names the bad
 * parameter). The token lives in sessionStorage only — one tab, gone when it closes.
 */
export interface Session {
  token: string;
  siteId: string;
  /** The site's IANA zone, learnt at sign-in (the API's default `tz`). */
  siteTz: string;
  /** Signed in by a share link (`#share=<token>`): read-only, and a 401 means the link was revoked. */
  shared?: boolean;
  /** The token's scope (GET /token at sign-in); absent in sessions of an older page: treat as read. */
  scope?: 'read' | 'write' | 'admin';
}

/** Whether the session may change things (PATCH an error group …): write or admin scope. */
export function canWrite(s: Pick<Session, 'scope'>): boolean {
  return s.scope === 'write' || s.scope === 'admin';
}

export interface TopRow {
  key: string;
  visitors: number;
  pageviews: number;
}

export interface OverviewTotals {
  visitors: number;
  visits: number;
  pageviews: number;
  bounce_rate: number;
  avg_visit_seconds: number;
}

export interface OverviewPart {
  range: { from: string; to: string; tz: string; interval: string };
  totals: OverviewTotals;
  series: { t: string; visitors: number; visits: number; pageviews: number }[];
  top: Record<string, TopRow[]>;
}

export interface Overview extends OverviewPart {
  previous?: OverviewPart;
}

/** The revenue report as the server shapes it (the dashboard reads the subset it shows). */
export type Revenue = RevenueReport;

export interface Products {
  currency: string;
  total: number;
  products: ProductRow[];
}

/** GET /reports/realtime as the server shapes it. */
export type { Realtime } from '../../src/reports/realtime/report.ts';

/** The raw tables of GET /export/{table}.csv (src/reports/export/csv.ts). */
export const EXPORT_TABLES = [
  'pageviews', 'events', 'sessions', 'orders', 'order_items', 'refunds', 'customers', 'products', 'errors', 'vitals', 'heatmap_points',
] as const;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }

  /** The token itself was refused or does not reach the site: back to sign-in. */
  get signsOut(): boolean {
    return this.status === 401 || this.status === 403 || this.status === 404;
  }
}

const TOKEN = /^tly_(\d{1,18})_[A-Za-z0-9_-]{43}$/;

/** The site id of a well-formed token (`tly_<siteId>_<secret>`), else undefined. */
export function siteIdOf(token: string): string | undefined {
  return TOKEN.exec(token.trim())?.[1];
}

const KEY = 'tally.dashboard.session';

export function loadSession(): Session | undefined {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Session | null;
    return s && siteIdOf(s.token) === s.siteId && typeof s.siteTz === 'string' ? s : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(s: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(s));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

async function request(
  token: string,
  siteId: string,
  path: string,
  query?: URLSearchParams,
  signal?: AbortSignal,
  init: { method?: Method; body?: unknown } = {},
): Promise<Response> {
  const url = `/api/v1/sites/${encodeURIComponent(siteId)}/${path}${query ? `?${query.toString()}` : ''}`;
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method ?? 'GET',
      headers,
      body: init.body === undefined ? null : JSON.stringify(init.body),
      signal: signal ?? null,
      cache: 'no-store',
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'Tally could not be reached; check the connection and try again.');
  }
  if (res.ok) return res;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: string };
    if (body.error) message = body.error;
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    /* not JSON: keep the status line */
  }
  if (res.status === 503) {
    const after = res.headers.get('retry-after');
    message = `${message}${after ? ` (retry in ${after} s)` : ''}`;
  }
  throw new ApiError(res.status, message);
}

export async function getJson<T>(s: Pick<Session, 'token' | 'siteId'>, path: string, query?: URLSearchParams, signal?: AbortSignal): Promise<T> {
  const res = await request(s.token, s.siteId, path, query, signal);
  return (await res.json()) as T;
}

/** A JSON request with a body (POST/PATCH/…); a 204 answers undefined. */
export async function sendJson<T>(s: Pick<Session, 'token' | 'siteId'>, method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await request(s.token, s.siteId, path, undefined, signal, { method, body });
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/**
 * Export links cannot carry a bearer header, so the CSV is fetched and handed to the browser
 * as a blob download (held in memory by the browser; for very large tables use the API directly).
 */
export async function downloadCsv(s: Session, table: string, query: URLSearchParams): Promise<number> {
  const res = await request(s.token, s.siteId, `export/${table}.csv`, query);
  const blob = await res.blob();
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `${table}.csv`;
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
  return blob.size;
}
