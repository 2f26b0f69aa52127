import type { OpenApiPaths } from '../../http/openapi-types.ts';
import { currency, errors, int, money, q, security, siteId } from '../common/openapi.ts';

const codeRow = {
  type: 'object',
  properties: {
    code: { type: 'string', description: 'upper-case (codes compare case-insensitively)' },
    orders: { ...int, description: 'paid orders (paid, fulfilled, refunded) carrying the code, on their created_at day; an order with two codes counts under each' },
    gross: { ...money, description: 'Σ total of those orders' },
    discount: { ...money, description: 'Σ discount of those orders (the whole order discount)' },
    refunds: { ...money, description: 'refunds dated in the range (their own created_at) on orders carrying the code' },
    net: { ...money, description: 'gross − refunds' },
    aov: { ...money, description: 'gross / orders rounded half up (0 without orders)' },
    customers: { ...int, description: 'distinct customers (customer_id, else visitor_id) of those orders' },
    new_customers: { ...int, description: 'customers whose first paid order ever is one of those orders' },
  },
};

const discountsSchema = {
  type: 'object',
  properties: {
    currency: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, tz: { type: 'string' },
    codes: { type: 'array', items: codeRow, description: 'codes with orders or refunds in the range, by gross descending, then code' },
    without_code: { type: 'object', properties: { orders: int, gross: money, aov: money }, description: 'paid orders without a code' },
  },
};

export const discountsOpenApi: OpenApiPaths = {
  '/api/v1/sites/{siteId}/reports/discounts': {
    get: {
      summary: 'Discount codes in one currency: orders, gross, discount, refunds, net, AOV, customers and new customers per code (from the commerce rollups)',
      security,
      parameters: [
        siteId,
        q('from', { type: 'string', format: 'date' }, 'first local date (inclusive); default: 30 days ending at `to`'),
        q('to', { type: 'string', format: 'date' }, 'last local date (inclusive); default: today in tz'),
        q('tz', { type: 'string' }, "IANA zone; default: the site's"),
        currency,
      ],
      responses: { 200: { description: 'discounts report', content: { 'application/json': { schema: discountsSchema } } }, ...errors },
    },
  },
};
