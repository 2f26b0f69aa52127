/**
 * Realistic beacon traffic for the ingest benchmark, generated once, deterministically: ≥ 1,000
 * distinct real-world-shaped user agents, ≥ 5,000 visitors (half with a client `vid`, half
 * cookieless, each with a fixed IP + UA), mostly pageviews plus custom events, heatmap and error
 * beacons. Bodies are pre-serialised so the load generator spends no time building them.
 */
export { mulberry32 as prng } from '../../src/demo/prng.ts';

export function userAgents(count: number, rand: () => number): string[] {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const int = (a: number, b: number) => a + Math.floor(rand() * (b - a + 1));
  const androids = ['SM-S918B', 'SM-A546B', 'Pixel 7', 'Pixel 8 Pro', 'moto g 5G', 'M2101K6G', 'CPH2451', 'SM-G991B', '2201117TY', 'RMX3630'];
  const makers: (() => string)[] = [
    () => `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${int(100, 131)}.0.${int(4000, 6800)}.${int(0, 200)} Safari/537.36`,
    () => `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${int(100, 131)}.0.${int(4000, 6800)}.${int(0, 200)} Safari/537.36`,
    () => `Mozilla/5.0 (Linux; Android ${int(10, 14)}; ${pick(androids)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${int(100, 131)}.0.${int(4000, 6800)}.${int(0, 200)} Mobile Safari/537.36`,
    () => {
      const [a, b] = [int(14, 17), int(0, 6)];
      return `Mozilla/5.0 (iPhone; CPU iPhone OS ${a}_${b} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${a}.${b} Mobile/15E148 Safari/604.1`;
    },
    () => {
      const [a, b] = [int(14, 17), int(0, 6)];
      return `Mozilla/5.0 (iPad; CPU OS ${a}_${b} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${a}.${b} Mobile/15E148 Safari/604.1`;
    },
    () => `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${int(14, 17)}.${int(0, 6)} Safari/605.1.15`,
    () => {
      const v = int(100, 133);
      return `Mozilla/5.0 (${pick(['Windows NT 10.0; Win64; x64', 'X11; Linux x86_64', 'Macintosh; Intel Mac OS X 14.1', 'X11; Ubuntu; Linux x86_64'])}; rv:${v}.0) Gecko/20100101 Firefox/${v}.0`;
    },
    () => {
      const v = int(100, 131);
      return `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36 Edg/${v}.0.${int(1000, 2900)}.${int(0, 120)}`;
    },
  ];
  const out = new Set<string>();
  while (out.size < count) out.add(pick(makers)());
  return [...out];
}

export interface Visitor {
  vid?: string;
  ip: string;
  ua: string;
}

export function visitors(count: number, uas: string[], rand: () => number): Visitor[] {
  return Array.from({ length: count }, (_, i) => ({
    vid: i % 2 ? `bench-v${i}` : undefined,
    // public-looking unicast IPv4 (first octet 1–223, not 10/127)
    ip: `${[11, 24, 31, 41, 51, 62, 77, 81, 88, 93, 101, 115, 151, 176, 185, 201, 213][i % 17]}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${1 + Math.floor(rand() * 254)}`,
    ua: uas[i % uas.length]!,
  }));
}

const PAGES = ['/', '/collections/shoes', '/collections/bags', '/products/runner-2', '/products/tote-bag', '/cart', '/checkout', '/blog/summer', '/search?q=boots', '/account'];
const REFS = [undefined, undefined, 'https://www.google.com/', 'https://duckduckgo.com/', 'https://t.co/x1', 'https://www.facebook.com/', 'https://news.example.org/a'];
const UTMS = ['', '', '', '?utm_source=newsletter&utm_medium=email&utm_campaign=bf', '?gclid=Cj0KCQiA', '?utm_source=ig&utm_medium=social'];

export function event(v: Visitor, rand: () => number, site?: string): Record<string, unknown> {
  const r = rand();
  const page = `https://shop.example${PAGES[Math.floor(rand() * PAGES.length)]}`;
  const base: Record<string, unknown> = site ? { site } : {};
  if (v.vid) base.vid = v.vid;
  if (r < 0.8) return { ...base, type: 'pageview', url: page + UTMS[Math.floor(rand() * UTMS.length)], ref: REFS[Math.floor(rand() * REFS.length)], title: 'Shop – page', sw: 1440, vw: 1280, vh: 720 };
  if (r < 0.9) return { ...base, type: 'event', name: rand() < 0.5 ? 'add_to_cart' : 'view_item', url: page, props: { sku: `SKU-${Math.floor(rand() * 500)}`, qty: 1 }, revenue: rand() < 0.3 ? { amount: 2599, currency: 'EUR' } : undefined };
  if (r < 0.95) return { ...base, type: 'heatmap', url: page, vw: 390, dh: 2400, scroll: 75, points: [{ x: 120, y: 340, kind: 'click', sel: '#add' }, { x: 130, y: 900, kind: 'click' }, { x: 40, y: 60, kind: 'dead' }] };
  return { ...base, type: 'error', url: page, message: `Cannot read properties of undefined (reading 'price${Math.floor(rand() * 5)}')`, kind: 'TypeError', stack: 'TypeError: x\n    at render (https://shop.example/app.js:120:17)', line: 120, col: 17, handled: false };
}

export interface BenchRequest {
  method: 'POST';
  path: string;
  headers: Record<string, string>;
  body: string;
}

export function singles(site: string, vs: Visitor[], count: number, rand: () => number): BenchRequest[] {
  return Array.from({ length: count }, (_, i) => {
    const v = vs[i % vs.length]!;
    return { method: 'POST', path: '/collect', headers: { 'content-type': 'text/plain', 'user-agent': v.ua, 'x-forwarded-for': v.ip }, body: JSON.stringify(event(v, rand, site)) };
  });
}

export function batches(site: string, vs: Visitor[], count: number, size: number, rand: () => number): BenchRequest[] {
  return Array.from({ length: count }, () => {
    const v = vs[Math.floor(rand() * vs.length)]!;
    const events = Array.from({ length: size }, () => event(v, rand));
    return { method: 'POST', path: '/collect', headers: { 'content-type': 'application/json', 'user-agent': v.ua, 'x-forwarded-for': v.ip }, body: JSON.stringify({ site, events }) };
  });
}
