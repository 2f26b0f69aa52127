import { lookupGeo, type GeoInfo } from './geo.ts';
import { uuidv7 } from './event-id.ts';
import { classifySource } from './referrer.ts';
import { parseUserAgent, type UserAgentInfo } from './ua.ts';
import { cookielessVisitorId } from './visitor.ts';
// The error fingerprint lives with the errors report (the one reader of it) as a pure module
// (node:crypto only, no database, no HTTP), so ingest computing it once per beacon adds no
// dependency on report plumbing and no import circle; the report and its tests own its rules.
import { errorFingerprint } from '../../reports/errors/fingerprint.ts';
import type { ValidEvent } from '../validate/schema.ts';
import { TABLE_OF_TYPE, type Cell, type PreparedEvent } from '../tables.ts';

/** What the request (or the import) knows about the sender of an event. */
export interface Sender {
  siteId: string;
  /** 'auto': client vid when sent; 'cookieless': always derived. */
  visitorIdMode: 'auto' | 'cookieless';
  ip: string | null;
  ua: string;
  receivedAt: number;
  /** The daily salt for cookieless ids. */
  salt: Buffer;
  /** Pre-parsed UA / geo for the request (every event of a request shares them). */
  uaInfo?: UserAgentInfo;
  geo?: GeoInfo;
  /** The request's cookieless visitor id, set by the first event that needs it (one HMAC per request). */
  cookielessId?: string;
}

/**
 * Turns a validated event into rows of its raw table: parses the user agent (per event for
 * imports that carry their own `ua`), looks up the IP, classifies the source, derives the
 * visitor id. Returns `bot: true` (and no rows) for a bot user agent.
 */
export function prepareEvent(event: ValidEvent, sender: Sender): { bot: true } | { bot: false; prepared: PreparedEvent } {
  const uaString = event.ua ?? sender.ua;
  const ua = event.ua !== undefined || !sender.uaInfo ? parseUserAgent(uaString) : sender.uaInfo;
  if (ua.bot) return { bot: true };
  const ip = event.ip ?? sender.ip;
  const geo = event.ip !== undefined || !sender.geo ? lookupGeo(ip) : sender.geo;
  const ts = event.ts ?? sender.receivedAt;
  const perRequest = event.ip === undefined && event.ua === undefined;
  const visitorId =
    sender.visitorIdMode === 'auto' && event.vid
      ? event.vid
      : perRequest
        ? (sender.cookielessId ??= cookielessVisitorId(sender.salt, sender.siteId, ip ?? '', uaString))
        : cookielessVisitorId(sender.salt, sender.siteId, ip ?? '', uaString);
  const url = event.url ?? null;
  const src = classifySource(url ?? '', event.ref);
  const host = url ? src.host : null;
  const path = url ? src.path : null;

  let rows: Cell[][];
  switch (event.type) {
    case 'pageview':
      rows = [[
        event.uid ?? null, event.url, src.host, src.path, event.title ?? null, event.ref ?? null, src.refDomain, src.channel,
        src.utmSource, src.utmMedium, src.utmCampaign, src.utmTerm, src.utmContent, src.clickIdKind, src.clickId,
        ua.browser, ua.browserVersion, ua.os, ua.osVersion, ua.device, geo.country, geo.region, geo.city,
        event.sw ?? null, event.vw ?? null, event.vh ?? null,
      ]];
      break;
    case 'event':
      rows = [[
        event.uid ?? null, event.name, event.props ? JSON.stringify(event.props) : null,
        event.revenue?.amount ?? null, event.revenue?.currency ?? null, url, host, path, url ? src.channel : null,
        ua.browser, ua.os, ua.device, geo.country,
      ]];
      break;
    case 'heatmap':
      rows = event.points.map((p) => [
        event.url, src.host, src.path, ua.device, event.vw, event.dh ?? null, event.scroll ?? null, p.x, p.y, p.kind, p.sel ?? null,
      ]);
      break;
    case 'error':
      rows = [[
        event.url, src.host, src.path, errorFingerprint({ kind: event.kind, message: event.message, stack: event.stack, file: event.file }), event.kind ?? null,
        event.message, event.stack ?? null, event.file ?? null, event.line ?? null, event.col ?? null, event.handled ?? null,
        ua.browser, ua.browserVersion, ua.os, ua.device,
      ]];
      break;
    case 'vitals':
      rows = [[url, host, path, event.lcp ?? null, event.inp ?? null, event.cls ?? null, event.fcp ?? null, event.ttfb ?? null, ua.device, geo.country, ua.browser]];
      break;
  }
  return {
    bot: false,
    prepared: {
      table: TABLE_OF_TYPE[event.type],
      siteId: sender.siteId,
      eventId: event.id ?? uuidv7(sender.receivedAt),
      ts,
      receivedAt: sender.receivedAt,
      visitorId,
      sid: event.sid ?? null,
      rows,
    },
  };
}
