/**
 * The demo store's fixed world: a catalogue in categories, the countries its visitors come
 * from (with the currency they pay in and the geo fields geoip-lite would give their IPs), real
 * user-agent strings per device, traffic sources (landing URL + referrer, as a browser would
 * send them) and a few recurring JavaScript errors.
 */
export const HOST = 'demo-store.example';
export const ORIGIN = `https://${HOST}`;

export interface Product {
  id: string;
  sku: string;
  name: string;
  category: string;
  slug: string;
  /** USD cents; EUR prices are derived (×0.92, rounded to .99). */
  priceUsd: number;
  /** Relative popularity. */
  weight: number;
}

const CATALOGUE: [string, [string, number][]][] = [
  ['Kitchen', [['Ceramic Mug', 1800], ['Pour-Over Coffee Set', 4900], ['Chef Knife', 8900], ['Cast Iron Skillet', 5400], ['Bamboo Cutting Board', 2900], ['Espresso Cups (4)', 3200]]],
  ['Apparel', [['Organic Cotton T-Shirt', 2500], ['Merino Sweater', 9800], ['Rain Jacket', 14900], ['Canvas Sneakers', 6900], ['Wool Socks (3)', 2200], ['Denim Jacket', 11900]]],
  ['Home', [['Linen Throw Pillow', 3900], ['Scented Candle', 2400], ['Wool Blanket', 12900], ['Ceramic Vase', 4500], ['Desk Lamp', 7900]]],
  ['Outdoor', [['Insulated Bottle', 3400], ['Daypack 20L', 8900], ['Camping Hammock', 5900], ['Trail Headlamp', 3900]]],
  ['Accessories', [['Leather Wallet', 5900], ['Canvas Tote', 2800], ['Sunglasses', 11900], ['Beanie', 2400], ['Watch Strap', 3500]]],
];

export const PRODUCTS: Product[] = CATALOGUE.flatMap(([category, items], c) =>
  items.map(([name, priceUsd], i) => {
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
    return { id: `prod_${c + 1}${String(i + 1).padStart(2, '0')}`, sku: `${category.slice(0, 3).toUpperCase()}-${1000 + c * 100 + i}`, name, category, slug, priceUsd, weight: 1 / (1 + i * 0.35) };
  }),
);
export const CATEGORIES = CATALOGUE.map(([c]) => c);

export function price(product: Product, currency: 'USD' | 'EUR'): number {
  if (currency === 'USD') return product.priceUsd;
  return Math.max(99, Math.round((product.priceUsd * 0.92) / 100) * 100 - 1);
}

export interface Country {
  code: string;
  region: string;
  city: string;
  currency: 'USD' | 'EUR';
  /** Sales tax / VAT charged on top of the discounted subtotal. */
  taxRate: number;
  weight: number;
  /** UTC offset in hours, for the time of day visitors shop. */
  utcOffset: number;
}

export const COUNTRIES: Country[] = [
  { code: 'US', region: 'US-CA', city: 'Los Angeles', currency: 'USD', taxRate: 0.0825, weight: 38, utcOffset: -7 },
  { code: 'US', region: 'US-NY', city: 'New York', currency: 'USD', taxRate: 0.08875, weight: 14, utcOffset: -4 },
  { code: 'CA', region: 'CA-ON', city: 'Toronto', currency: 'USD', taxRate: 0.13, weight: 6, utcOffset: -4 },
  { code: 'GB', region: 'GB-ENG', city: 'London', currency: 'USD', taxRate: 0.2, weight: 9, utcOffset: 1 },
  { code: 'DE', region: 'DE-BE', city: 'Berlin', currency: 'EUR', taxRate: 0.19, weight: 11, utcOffset: 2 },
  { code: 'FR', region: 'FR-IDF', city: 'Paris', currency: 'EUR', taxRate: 0.2, weight: 8, utcOffset: 2 },
  { code: 'NL', region: 'NL-NH', city: 'Amsterdam', currency: 'EUR', taxRate: 0.21, weight: 4, utcOffset: 2 },
  { code: 'ES', region: 'ES-MD', city: 'Madrid', currency: 'EUR', taxRate: 0.21, weight: 3, utcOffset: 2 },
  { code: 'AU', region: 'AU-NSW', city: 'Sydney', currency: 'USD', taxRate: 0.1, weight: 4, utcOffset: 10 },
  { code: 'BR', region: 'BR-SP', city: 'São Paulo', currency: 'USD', taxRate: 0, weight: 3, utcOffset: -3 },
];

export type Device = 'desktop' | 'mobile' | 'tablet';
export const DEVICES: Device[] = ['desktop', 'mobile', 'tablet'];
export const DEVICE_WEIGHTS = [52, 41, 7];

/** Real UA strings with screen and viewport sizes typical of them. */
export const USER_AGENTS: Record<Device, { ua: string; screen: number; vw: number; vh: number; weight: number }[]> = {
  desktop: [
    { ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', screen: 1920, vw: 1903, vh: 937, weight: 45 },
    { ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', screen: 1512, vw: 1512, vh: 830, weight: 18 },
    { ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', screen: 1440, vw: 1440, vh: 789, weight: 14 },
    { ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0', screen: 1920, vw: 1905, vh: 950, weight: 10 },
    { ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0', screen: 1366, vw: 1351, vh: 657, weight: 10 },
    { ua: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', screen: 2560, vw: 2545, vh: 1290, weight: 3 },
  ],
  mobile: [
    { ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', screen: 393, vw: 393, vh: 659, weight: 50 },
    { ua: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36', screen: 412, vw: 412, vh: 839, weight: 22 },
    { ua: 'Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36', screen: 384, vw: 384, vh: 780, weight: 20 },
    { ua: 'Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36', screen: 412, vw: 412, vh: 780, weight: 8 },
  ],
  tablet: [
    { ua: 'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', screen: 820, vw: 820, vh: 1106, weight: 70 },
    { ua: 'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Safari/537.36', screen: 800, vw: 800, vh: 1216, weight: 30 },
  ],
};

/** How a visit arrives: the landing URL's query and the referrer the browser sends. */
export interface Source {
  key: string;
  query: string;
  referrer: string | null;
  weight: number;
  /** Relative intent to buy (email and paid shoppers convert better than social). */
  intent: number;
}

export const SOURCES: Source[] = [
  { key: 'google', query: '', referrer: 'https://www.google.com/', weight: 30, intent: 1.1 },
  { key: 'bing', query: '', referrer: 'https://www.bing.com/', weight: 4, intent: 1.0 },
  { key: 'duckduckgo', query: '', referrer: 'https://duckduckgo.com/', weight: 2, intent: 1.0 },
  { key: 'direct', query: '', referrer: null, weight: 20, intent: 1.3 },
  { key: 'instagram', query: '', referrer: 'https://www.instagram.com/', weight: 8, intent: 0.6 },
  { key: 'facebook', query: '', referrer: 'https://www.facebook.com/', weight: 5, intent: 0.6 },
  { key: 'pinterest', query: '', referrer: 'https://www.pinterest.com/', weight: 3, intent: 0.7 },
  { key: 'reddit', query: '', referrer: 'https://www.reddit.com/', weight: 2, intent: 0.8 },
  { key: 'newsletter', query: '?utm_source=newsletter&utm_medium=email&utm_campaign=weekly_picks', referrer: null, weight: 7, intent: 1.8 },
  { key: 'winback', query: '?utm_source=klaviyo&utm_medium=email&utm_campaign=winback', referrer: 'https://mail.google.com/', weight: 2, intent: 1.6 },
  { key: 'google_ads', query: '?utm_source=google&utm_medium=cpc&utm_campaign=brand&utm_term=demo+store', referrer: 'https://www.google.com/', weight: 9, intent: 1.4 },
  { key: 'meta_ads', query: '?utm_source=facebook&utm_medium=paid_social&utm_campaign=summer_sale&utm_content=carousel', referrer: 'https://l.facebook.com/', weight: 5, intent: 0.9 },
  { key: 'blog', query: '', referrer: 'https://www.gearblog.example/best-mugs', weight: 3, intent: 1.0 },
];

export interface JsError {
  kind: string;
  message: string;
  file: string;
  line: number;
  col: number;
  /** Only on these paths (prefix). */
  path: string;
  /** Share of matching page views that throw it. */
  rate: number;
  /** Only on this browser, if set. */
  browser?: string;
}

export const JS_ERRORS: JsError[] = [
  { kind: 'TypeError', message: "Cannot read properties of undefined (reading 'variantId')", file: `${ORIGIN}/assets/product.4f2a.js`, line: 214, col: 31, path: '/products/', rate: 0.02 },
  { kind: 'TypeError', message: 'undefined is not an object (evaluating \'window.paypal.Buttons\')', file: `${ORIGIN}/assets/checkout.9b1c.js`, line: 88, col: 17, path: '/checkout', rate: 0.05, browser: 'Safari' },
  { kind: 'ReferenceError', message: 'gtag is not defined', file: `${ORIGIN}/assets/app.1e77.js`, line: 12, col: 5, path: '/', rate: 0.004 },
  { kind: 'Error', message: 'Network request failed: /api/cart', file: `${ORIGIN}/assets/cart.c310.js`, line: 41, col: 11, path: '/cart', rate: 0.03 },
];

export const EXPERIMENT = { key: 'checkout_button', variants: ['control', 'treatment'] as const };

/** Weekly seasonality (Sunday = 0): shoppers browse more early in the week and on Sunday evening. */
export const WEEKDAY_WEIGHT = [1.0, 1.12, 1.08, 1.04, 0.98, 0.86, 0.82];
/** Local hour-of-day traffic shape. */
export const HOUR_WEIGHT = [2, 1, 1, 0.5, 0.5, 1, 2, 3, 4, 5, 5.5, 6, 6.5, 6, 5.5, 5.5, 5.5, 6, 6.5, 7.5, 8, 7, 5, 3];
export const REFUND_REASONS = ['damaged in transit', 'wrong size', 'not as described', 'changed my mind', 'arrived late'];
