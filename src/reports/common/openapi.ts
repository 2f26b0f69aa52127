/**
 * OpenAPI pieces every report's fragment (`src/reports/<report>/openapi.ts`) shares: the site
 * path parameter, the range parameters, the error answers, and the money and product shapes the
 * commerce reports use alike. The fragments are merged in src/reports/openapi.ts.
 */
export const siteId = { name: 'siteId', in: 'path', required: true, schema: { type: 'string' } };
export const q = (name: string, schema: Record<string, unknown>, description: string) => ({ name, in: 'query', required: false, schema, description });

/** from, to, tz, interval, compare, limit — shared by every dashboard report. */
export const reportParameters = [
  siteId,
  q('from', { type: 'string', format: 'date' }, 'first local date (inclusive); default: 30 days ending at `to`'),
  q('to', { type: 'string', format: 'date' }, 'last local date (inclusive); default: today in tz'),
  q('tz', { type: 'string' }, "IANA zone; default: the site's"),
  q('interval', { type: 'string', enum: ['hour', 'day', 'week', 'month'] }, 'default: hour ≤ 2 days, day ≤ 92, week ≤ 731, else month; hour allows ≤ 31 days'),
  q('compare', { type: 'string', enum: ['previous'] }, 'adds `previous`: the same report for the equally long period just before'),
  q('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 10 }, 'rows per top list'),
];

/** Error answers every site-scoped report shares. */
export const errors = {
  400: { description: 'bad parameter (named in `error`)' },
  401: { description: 'missing or invalid token' },
  403: { description: 'token lacks read scope' },
  404: { description: "unknown site or another site's token" },
  503: { description: 'database unavailable (Retry-After)' },
};
export const security = [{ bearer: [] }];

/** Commerce reports (revenue, products). */
export const currency = q('currency', { type: 'string', pattern: '^[A-Z]{3}$' }, "ISO 4217; default: the site's currency. Amounts in other currencies are never added in");
export const int = { type: 'integer' };
export const money = { type: 'integer', description: 'minor units of `currency`' };
export const productRow = {
  type: 'object',
  properties: { product_id: { type: 'string' }, name: { type: ['string', 'null'] }, category: { type: ['string', 'null'] }, purchases: int, units: int, revenue: money },
};
