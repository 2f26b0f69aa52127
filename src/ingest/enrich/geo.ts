import { LRUCache } from 'lru-cache';
import { GeoFile } from './geo-file.ts';

/** Country (ISO 3166-1 alpha-2), region (ISO 3166-2 subdivision code) and city of an IP. */
export interface GeoInfo {
  country: string | null;
  region: string | null;
  city: string | null;
}

let geo: GeoFile | undefined;

/**
 * geoip-lite's tables, read on demand from its data files (geo-file.ts: the process keeps a 180 KB
 * index instead of geoip-lite's 146 MB of Buffers). Opened once per process, lazily, so CLI
 * commands that never look up an IP do not pay for it; `loadGeo()` lets the server open them at
 * start-up, so a missing data file stops it there rather than on the first beacon.
 */
export function loadGeo(): void {
  geo ??= new GeoFile();
}

const NONE: GeoInfo = { country: null, region: null, city: null };

/**
 * A visitor sends every beacon from one IP: an LRU answers repeats without a binary search and two
 * file reads (geoip-lite's in-memory search alone was 2.7 % of the server's CPU under
 * `npm run bench:ingest`).
 */
const cache = new LRUCache<string, GeoInfo>({ max: 20_000 });
let cachedVersion = 0;

export function lookupGeo(ip: string | null | undefined): GeoInfo {
  if (!ip) return NONE;
  loadGeo();
  if (geo!.version !== cachedVersion) {
    cache.clear(); // the data files were updated and read again
    cachedVersion = geo!.version;
  }
  const cached = cache.get(ip);
  if (cached) return cached;
  const hit = geo!.lookup(ip.startsWith('::ffff:') ? ip.slice(7) : ip);
  if (hit === undefined) return NONE; // data files being updated: no geo for now, nothing cached
  const info = hit
    ? { country: hit.country || null, region: hit.region ? `${hit.country}-${hit.region}` : null, city: hit.city || null }
    : NONE;
  cache.set(ip, info);
  return info;
}
