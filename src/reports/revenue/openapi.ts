import type { OpenApiPaths } from '../../http/openapi-types.ts';
import { currency, errors, int, money, productRow, reportParameters, security } from '../common/openapi.ts';

const totals = {
  type: 'object',
  properties: {
    orders: int, gross: money, discounts: money, tax: money, shipping: money, refunds: money,
    net: { ...money, description: 'gross − refunds' },
    aov: { ...money, description: 'gross / orders rounded half up (0 without orders)' },
    customers: { ...int, description: 'distinct customers (customer_id, else visitor_id) with a paid order in the range' },
    new_customers: { ...int, description: 'customers whose first paid order ever is in the range and in this currency' },
  },
};
const point = { type: 'object', properties: { t: { type: 'string' }, orders: int, gross: money, refunds: money, net: money } };
const channelRow = { type: 'object', properties: { key: { type: 'string', description: "first-touch channel of the buyer's visitor, or unknown" }, orders: int, gross: money, refunds: money, net: money } };

const revenueSchema = {
  type: 'object',
  properties: {
    currency: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, tz: { type: 'string' }, interval: { type: 'string' },
    totals,
    series: { type: 'array', items: point },
    by_channel: { type: 'array', items: channelRow },
    top_products: { type: 'array', items: productRow, description: 'by item revenue (Σ quantity × unit_price) in this currency; `limit` rows' },
    previous: { type: 'object', description: 'compare=previous: {from, to, totals, series} of the equally long period just before' },
  },
};

export const revenueOpenApi: OpenApiPaths = {

  '/api/v1/sites/{siteId}/reports/revenue': {
    get: {
      summary: 'Revenue in one currency: totals, zero-filled series, by first-touch channel, top products (from commerce rollups)',
      security,
      parameters: [...reportParameters, currency],
      responses: { 200: { description: 'revenue report', content: { 'application/json': { schema: revenueSchema } } }, ...errors },
    },
  },
};
