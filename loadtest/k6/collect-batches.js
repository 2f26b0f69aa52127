// 20-event batches `{site, events}`, as the tracker flushes its queue.
//   k6 run -e BASE_URL=http://127.0.0.1:8787 -e SITE_KEY=pk_... loadtest/k6/collect-batches.js
import http from 'k6/http';
import { check } from 'k6';
import { Counter } from 'k6/metrics';
import { BASE_URL, pageview, pick, requireEnv, USER_AGENTS, uuid } from './lib.js';

const accepted = new Counter('events_accepted');

export const options = {
  scenarios: {
    batches: { executor: 'constant-vus', vus: 50, duration: '1m' },
  },
  thresholds: { http_req_failed: ['rate<0.001'], http_req_duration: ['p(99)<100'] },
};

export default function () {
  const site = requireEnv('SITE_KEY');
  const host = __ENV.SITE_HOST || 'shop.example';
  const events = [];
  for (let i = 0; i < 20; i++) {
    const pv = pageview(site, host);
    delete pv.site;
    events.push(
      i % 5 === 4
        ? { type: 'event', id: uuid(), ts: Date.now(), name: 'add_to_cart', url: pv.url, vid: pv.vid, props: { product_id: '2' } }
        : pv,
    );
  }
  const res = http.post(`${BASE_URL}/collect`, JSON.stringify({ site, events }), {
    headers: { 'Content-Type': 'text/plain', 'User-Agent': pick(USER_AGENTS) },
  });
  check(res, {
    'status is 202': (r) => r.status === 202,
    'all 20 accepted': (r) => r.json('accepted') === 20,
  });
  if (res.status === 202) accepted.add(res.json('accepted'));
}
