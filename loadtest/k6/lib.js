// Shared helpers of the k6 scenarios (plain k6 JavaScript: no Node APIs).

export const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8787').replace(/\/$/, '');

export function uuid() {
  // RFC 4122 v4 from Math.random: good enough for load-test idempotency keys.
  return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (ch) => {
    const r = (Math.random() * 16) | 0;
    return (ch === 'x' ? r : (r & 0x3) | 0x8).toString(16);
  });
}

export function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

export const PATHS = ['/', '/products/1', '/products/2', '/products/3', '/category/shoes', '/cart', '/checkout'];
export const REFERRERS = ['', 'https://www.google.com/', 'https://t.co/x', 'https://news.example.org/a'];
export const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
];

export function pageview(site, host) {
  return {
    site,
    type: 'pageview',
    id: uuid(),
    ts: Date.now(),
    url: `https://${host}${pick(PATHS)}?utm_source=k6`,
    ref: pick(REFERRERS) || undefined,
    vid: `k6-${__VU}-${Math.floor(Math.random() * 5000)}`,
    sw: 1440,
    vw: 1280,
    vh: 800,
  };
}

export function requireEnv(name) {
  const value = __ENV[name];
  if (!value) throw new Error(`set ${name} (k6 run -e ${name}=...)`);
  return value;
}
