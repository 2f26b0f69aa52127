/**
 * Column lists of the raw tables as the writer fills them (sql/001_core.sql). Every row starts with
 * the COMMON columns; `ingest_seq` is left to its nextval() default.
 */
export const RAW_TABLES = ['pageviews', 'events', 'heatmap_points', 'errors', 'vitals'] as const;
export type RawTable = (typeof RAW_TABLES)[number];

export const COMMON_COLUMNS = ['site_id', 'occurred_at', 'received_at', 'event_id', 'visitor_id', 'session_id'] as const;

export const TABLE_COLUMNS: Record<RawTable, readonly string[]> = {
  pageviews: [
    'user_id', 'url', 'host', 'path', 'title', 'referrer', 'ref_domain', 'channel',
    'utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content', 'click_id_kind', 'click_id',
    'browser', 'browser_version', 'os', 'os_version', 'device', 'country', 'region', 'city',
    'screen_w', 'viewport_w', 'viewport_h',
  ],
  events: [
    'user_id', 'name', 'props', 'revenue_amount', 'revenue_currency', 'url', 'host', 'path', 'channel',
    'browser', 'os', 'device', 'country',
  ],
  heatmap_points: ['url', 'host', 'path', 'device', 'viewport_w', 'doc_height', 'scroll_depth', 'x', 'y', 'kind', 'selector'],
  errors: [
    'url', 'host', 'path', 'fingerprint', 'kind', 'message', 'stack', 'file', 'line', 'col', 'handled',
    'browser', 'browser_version', 'os', 'device',
  ],
  vitals: ['url', 'host', 'path', 'lcp', 'inp', 'cls', 'fcp', 'ttfb', 'device', 'country', 'browser'],
};

export const TABLE_OF_TYPE = {
  pageview: 'pageviews',
  event: 'events',
  heatmap: 'heatmap_points',
  error: 'errors',
  vitals: 'vitals',
} as const satisfies Record<string, RawTable>;

/** The event type of each raw table (metrics label events by type). */
export const TYPE_OF_TABLE = { pageviews: 'pageview', events: 'event', heatmap_points: 'heatmap', errors: 'error', vitals: 'vitals' } as const satisfies Record<RawTable, string>;

export type Cell = string | number | boolean | null;

/**
 * An accepted, enriched event ready to write: everything but its session id, which is assigned
 * in the write transaction. Plain JSON, so a batch can be spooled to disk and replayed as is.
 */
export interface PreparedEvent {
  table: RawTable;
  siteId: string;
  /** Client id or one assigned on receipt (before spooling, so replays stay idempotent). */
  eventId: string;
  /** occurred_at, epoch ms. */
  ts: number;
  /** received_at, epoch ms. */
  receivedAt: number;
  visitorId: string;
  /** Client session id, or null to derive one. */
  sid: string | null;
  /** Values of TABLE_COLUMNS[table] per row (heatmaps: one row per point). */
  rows: Cell[][];
}

export function rowCount(events: readonly PreparedEvent[]): number {
  let n = 0;
  for (const e of events) n += e.rows.length;
  return n;
}
