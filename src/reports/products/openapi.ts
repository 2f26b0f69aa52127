import type { OpenApiPaths } from '../../http/openapi-types.ts';
import { currency, errors, int, money, productRow, q, reportParameters, security } from '../common/openapi.ts';
import { PRODUCT_SORTS } from './report.ts';

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

export const productsOpenApi: OpenApiPaths = {
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
