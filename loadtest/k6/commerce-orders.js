// A store back end pushing orders in batches of 100 (write-scope token).
//   k6 run -e BASE_URL=... -e SITE_ID=1 -e TOKEN=tly_1_... loadtest/k6/commerce-orders.js
import http from 'k6/http';
import { check } from 'k6';
import { BASE_URL, requireEnv, uuid } from './lib.js';

export const options = {
  scenarios: { orders: { executor: 'constant-vus', vus: 10, duration: '1m' } },
  thresholds: { http_req_failed: ['rate<0.001'] },
};

function order() {
  const quantity = 1 + Math.floor(Math.random() * 3);
  const unit = 1000 + Math.floor(Math.random() * 9000);
  const subtotal = quantity * unit;
  const tax = Math.round(subtotal * 0.2);
  const shipping = 499;
  return {
    id: `k6-${uuid()}`,
    customer_id: `k6-customer-${Math.floor(Math.random() * 1000)}`,
    status: 'paid',
    currency: 'USD',
    subtotal,
    discount: 0,
    tax,
    shipping,
    total: subtotal + tax + shipping,
    created_at: new Date().toISOString(),
    items: [{ product_id: 'p1', sku: 'SKU-1', name: 'Trail shoe', category: 'shoes', quantity, unit_price: unit }],
  };
}

export default function () {
  const siteId = requireEnv('SITE_ID');
  const orders = [];
  for (let i = 0; i < 100; i++) orders.push(order());
  const res = http.post(`${BASE_URL}/api/v1/sites/${siteId}/orders`, JSON.stringify(orders), {
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${requireEnv('TOKEN')}` },
  });
  check(res, {
    'status is 200': (r) => r.status === 200,
    '100 upserted': (r) => r.json('upserted') === 100,
  });
}
