import type { OpenApiPaths } from '../http/openapi.ts';
import { errors, q, reportParameters, security } from './openapi.ts';
import { PRODUCT_SORTS } from './products.ts';

/** OpenAPI paths of the commerce reports (revenue, products); merged in src/http/openapi.ts. */
const currency = q('currency', { type: 'string', pattern: '^[A-Z]{3}$' }, "ISO 4217; default: the site's currency. Amounts in other currencies are never added in");
const int = { type: 'integer' };
const money = { type: 'integer', description: 'minor units of `currency`' };

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
const productRow = {
  type: 'object',
  properties: { product_id: { type: 'string' }, name: { type: ['string', 'null'] }, category: { type: ['string', 'null'] }, purchases: int, units: int, revenue: money },
};

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

const productsSchema = {
  type: 'object',
  properties: {
    currency: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, tz: { type: 'string' },
    sort: { type: 'string' }, order: { type: 'string' },
    total: { ...int, description: 'products with any activity in the range' },
    products: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          ...productRow.properties,
          views: { ...int, description: 'pageviews of /products/<id or handle>' },
          add_to_carts: { ...int, description: 'add_to_cart events with props.product_id' },
          purchases: { ...int, description: 'paid orders containing the product (all currencies)' },
          units: { ...int, description: 'Σ quantity in paid orders (all currencies)' },
          revenue: { ...money, description: 'Σ quantity × unit_price of paid orders in `currency`' },
          cart_rate: { type: ['number', 'null'], description: 'add_to_carts / views' },
          conversion_rate: { type: ['number', 'null'], description: 'purchases / views' },
        },
      },
    },
  },
};

export const commerceReportsOpenApi: OpenApiPaths = {
  '/api/v1/sites/{siteId}/reports/revenue': {
    get: {
      summary: 'Revenue in one currency: totals, zero-filled series, by first-touch channel, top products (from commerce rollups)',
      security,
      parameters: [...reportParameters, currency],
      responses: { 200: { description: 'revenue report', content: { 'application/json': { schema: revenueSchema } } }, ...errors },
    },
  },
  '/api/v1/sites/{siteId}/reports/products': {
    get: {
      summary: 'Product performance: views, add-to-carts, purchases, units, revenue and conversion rates',
      security,
      parameters: [
        ...reportParameters.filter((p) => !['interval', 'compare', 'limit'].includes(p.name)),
        currency,
        q('sort', { type: 'string', enum: [...PRODUCT_SORTS], default: 'revenue' }, 'metric to sort by'),
        q('order', { type: 'string', enum: ['asc', 'desc'], default: 'desc' }, 'sort direction (ties by product id)'),
        q('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, 'rows'),
      ],
      responses: { 200: { description: 'products report', content: { 'application/json': { schema: productsSchema } } }, ...errors },
    },
  },
};
