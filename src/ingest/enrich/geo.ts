import { createRequire } from 'node:module';
import { LRUCache } from 'lru-cache';

/** Country (ISO 3166-1 alpha-2), region (ISO 3166-2 subdivision code) and city of an IP. */
export interface GeoInfo {
  country: string | null;
  region: string | null;
  city: string | null;
}

interface GeoipLite {
  lookup(ip: string): { country: string; region: string; city: string } | null;
}

let geoip: GeoipLite | undefined;

/**
 * geoip-lite reads its whole database into memory (~150 MB) when first required; it is loaded
 * once per process, lazily, so CLI commands that never look up an IP do not pay for it.
 * `loadGeo()` lets the server load it at start-up instead of on the first beacon.
 */
export function loadGeo(): void {
  if (!geoip) geoip = createRequire(import.meta.url)('geoip-lite') as GeoipLite;
}

const NONE: GeoInfo = { country: null, region: null, city: null };

/**
 * A visitor sends every beacon from one IP: an LRU answers repeats without geoip-lite's binary
 * search over its 150 MB tables (2.7 % of the server's CPU under `npm run bench:ingest`).
 */
const cache = new LRUCache<string, GeoInfo>({ max: 20_000 });

export function lookupGeo(ip: string | null | undefined): GeoInfo {
  if (!ip) return NONE;
  const cached = cache.get(ip);
  if (cached) return cached;
  loadGeo();
  const hit = geoip!.lookup(ip.startsWith('::ffff:') ? ip.slice(7) : ip);
  const info = hit
    ? { country: hit.country || null, region: hit.region ? `${hit.country}-${hit.region}` : null, city: hit.city || null }
    : NONE;
  cache.set(ip, info);
  return info;
}
