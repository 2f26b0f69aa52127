// Pages asking for their variant and sending the exposure (issue #17): GET /collect/assign for the
// running experiment, then the `$exposure` beacon tally.experiment() sends, as a text/plain POST.
// setup() creates (or updates) the running experiment EXPERIMENT (default k6_button) with an
// admin/write TOKEN; reports.js reads its report.
//   k6 run -e BASE_URL=http://127.0.0.1:8787 -e SITE_KEY=pk_... -e SITE_ID=1 -e TOKEN=tly_1_... loadtest/k6/experiment-assign.js
import http from 'k6/http';
import { check } from 'k6';
import { BASE_URL, pick, requireEnv, USER_AGENTS } from './lib.js';

export const options = {
  scenarios: {
    assign: { executor: 'constant-arrival-rate', rate: 2000, timeUnit: '1s', duration: '1m', preAllocatedVUs: 100 },
  },
  thresholds: { http_req_failed: ['rate<0.001'], 'http_req_duration{name:assign}': ['p(99)<50'], 'http_req_duration{name:exposure}': ['p(99)<50'] },
};

const EXPERIMENT = __ENV.EXPERIMENT || 'k6_button';

export function setup() {
  const body = JSON.stringify({
    key: EXPERIMENT, status: 'running', variants: [{ key: 'control', weight: 0.5 }, { key: 'treatment', weight: 0.5 }],
    metrics: [{ key: 'orders', type: 'order' }, { key: 'checkout', type: 'event', name: 'checkout' }],
  });
  const res = http.post(`${BASE_URL}/api/v1/sites/${requireEnv('SITE_ID')}/experiments`, body, {
    headers: { Authorization: `Bearer ${requireEnv('TOKEN')}`, 'Content-Type': 'application/json' },
  });
  check(res, { 'experiment saved': (r) => r.status === 200 || r.status === 201 });
}

export default function () {
  const site = requireEnv('SITE_KEY');
  const host = __ENV.SITE_HOST || 'shop.example';
  const vid = `k6-exp-${__VU}-${Math.floor(Math.random() * 100000)}`;
  const ua = pick(USER_AGENTS);
  const res = http.get(`${BASE_URL}/collect/assign?site=${site}&experiments=${EXPERIMENT}&vid=${vid}`, { headers: { 'User-Agent': ua }, tags: { name: 'assign' } });
  const variant = res.status === 200 ? res.json(EXPERIMENT) : undefined;
  check(res, { 'assign is 200': (r) => r.status === 200, 'a variant': () => variant === 'control' || variant === 'treatment' });
  if (typeof variant !== 'string') return;
  const exposure = { site, type: 'event', name: '$exposure', props: { experiment: EXPERIMENT, variant }, url: `https://${host}/checkout`, vid, ts: Date.now() };
  const sent = http.post(`${BASE_URL}/collect`, JSON.stringify(exposure), { headers: { 'Content-Type': 'text/plain', 'User-Agent': ua }, tags: { name: 'exposure' } });
  check(sent, { 'exposure is 202': (r) => r.status === 202, 'exposure accepted': (r) => r.json('accepted') === 1 });
}
