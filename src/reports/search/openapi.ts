import type { OpenApiPaths } from '../../http/openapi-types.ts';
import { currency, errors, int, money, q, security, siteId } from '../common/openapi.ts';

const rate = { type: 'number', minimum: 0, maximum: 1 };
const queryRow = {
  type: 'object',
  properties: {
    query: { type: 'string', description: 'normalized: NFC, Unicode-lowercased, trimmed, inner whitespace collapsed, leading/trailing punctuation stripped' },
    searches: int,
    searchers: { ...int, description: 'distinct visitors' },
    zero_results: { ...int, description: 'searches whose `results` was 0' },
    clicks: { ...int, description: 'searches followed (at or after, same session) by a search_click of the same query' },
    avg_click_position: { type: ['number', 'null'], description: "mean `position` of the query's search_click events in the range; null without one" },
    orders: { ...int, description: 'distinct paid orders (paid, fulfilled, refunded) in `currency` linked to a searcher and created 0 s … 7 days (inclusive) after their search of this query; each order once per query' },
    revenue: { ...money, description: 'Σ total of those orders (refunds not subtracted)' },
  },
};
const searchSchema = {
  type: 'object',
  properties: {
    currency: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, tz: { type: 'string' },
    totals: {
      type: 'object',
      properties: {
        searches: int, searchers: int,
        zero_result_rate: { ...rate, description: 'searches with results 0 / searches with known results (0 when none is known)' },
        click_rate: { ...rate, description: 'clicked searches / searches' },
        conversion_rate: { ...rate, description: 'searchers with an attributed order (any query) / searchers' },
      },
    },
    queries: { type: 'array', items: queryRow, description: 'most searched first (ties by query text), at most 100' },
    zero_result_queries: {
      type: 'array', description: 'queries with zero-result searches: `searches` and `searchers` count only those; most first, at most 100',
      items: { type: 'object', properties: { query: { type: 'string' }, searches: int, searchers: int } },
    },
  },
};

export const searchOpenApi: OpenApiPaths = {
  '/api/v1/sites/{siteId}/reports/search': {
    get: {
      summary: 'Site search: totals, top queries with clicks and 7-day orders, zero-result queries (from the search rollups)',
      security,
      parameters: [
        siteId,
        q('from', { type: 'string', format: 'date' }, 'first local date (inclusive); default: 30 days ending at `to`'),
        q('to', { type: 'string', format: 'date' }, 'last local date (inclusive); default: today in tz'),
        q('tz', { type: 'string' }, "IANA zone; default: the site's"),
        currency,
      ],
      responses: { 200: { description: 'search report', content: { 'application/json': { schema: searchSchema } } }, ...errors },
    },
  },
};
