// Single-event beacons, as a tracker without batching sends them (text/plain: no preflight).
//   k6 run -e BASE_URL=http://127.0.0.1:8787 -e SITE_KEY=pk_... loadtest/k6/collect-beacons.js
import http from 'k6/http';
import { check } from 'k6';
import { BASE_URL, pageview, pick, requireEnv, USER_AGENTS } from './lib.js';

export const options = {
  scenarios: {
    beacons: { executor: 'constant-arrival-rate', rate: 5000, timeUnit: '1s', duration: '1m', preAllocatedVUs: 200 },
  },
  thresholds: { http_req_failed: ['rate<0.001'], http_req_duration: ['p(99)<50'] },
};

export default function () {
  const site = requireEnv('SITE_KEY');
  const host = __ENV.SITE_HOST || 'shop.example';
  const res = http.post(`${BASE_URL}/collect`, JSON.stringify(pageview(site, host)), {
    headers: { 'Content-Type': 'text/plain', 'User-Agent': pick(USER_AGENTS) },
  });
  check(res, {
    'status is 202': (r) => r.status === 202,
    'one accepted': (r) => r.json('accepted') === 1,
  });
}
