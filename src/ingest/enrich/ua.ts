import { isbot } from 'isbot';
import { LRUCache } from 'lru-cache';
import { UAParser } from 'ua-parser-js';

/** Browser, OS and device class of a user agent (ua-parser-js 1.x; 2.x is AGPL). */
export interface UserAgentInfo {
  browser: string | null;
  browserVersion: string | null;
  os: string | null;
  osVersion: string | null;
  device: 'mobile' | 'tablet' | 'desktop';
  bot: boolean;
}

/**
 * Parsing a UA string costs ~20–50 µs (a few dozen regexes); real traffic repeats a few thousand
 * strings, so a 10k-entry LRU turns almost every lookup into a hash hit.
 */
const cache = new LRUCache<string, UserAgentInfo>({ max: 10_000 });

function major(version: string | undefined): string | null {
  if (!version) return null;
  return version.split('.').slice(0, 2).join('.');
}

export function parseUserAgent(ua: string | undefined | null): UserAgentInfo {
  const key = ua ?? '';
  const hit = cache.get(key);
  if (hit) return hit;
  const r = new UAParser(key).getResult();
  const type = r.device.type;
  const info: UserAgentInfo = {
    browser: r.browser.name ?? null,
    browserVersion: major(r.browser.version),
    os: r.os.name ?? null,
    osVersion: r.os.version ?? null,
    // wearables, consoles and TVs are counted with the class whose screen they resemble
    device: type === 'tablet' ? 'tablet' : type === 'mobile' || type === 'wearable' ? 'mobile' : 'desktop',
    bot: key !== '' && isbot(key),
  };
  cache.set(key, info);
  return info;
}
