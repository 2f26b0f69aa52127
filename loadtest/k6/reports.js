// Analysts and store back ends reading reports (read-scope token).
//   k6 run -e BASE_URL=... -e SITE_ID=1 -e TOKEN=tly_1_... loadtest/k6/reports.js
import http from 'k6/http';
import { check, group } from 'k6';
import { BASE_URL, requireEnv } from './lib.js';

export const options = {
  scenarios: { analysts: { executor: 'constant-vus', vus: 20, duration: '1m' } },
  thresholds: { 'http_req_duration{report:overview}': ['p(95)<100'], 'http_req_duration{report:revenue}': ['p(95)<100'],
    'http_req_duration{report:retention}': ['p(95)<200'], 'http_req_duration{report:funnel}': ['p(95)<2000'],
    'http_req_duration{report:errors}': ['p(95)<150'], 'http_req_duration{report:heatmap}': ['p(95)<150'], 'http_req_duration{report:vitals}': ['p(95)<150'],
    'http_req_duration{report:search}': ['p(95)<150'], 'http_req_duration{report:experiment}': ['p(95)<100'], 'http_req_duration{report:discounts}': ['p(95)<150'] },
};

function day(offset) {
  return new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
}

export default function () {
  const siteId = requireEnv('SITE_ID');
  const headers = { Authorization: `Bearer ${requireEnv('TOKEN')}` };
  const range = `from=${day(-30)}&to=${day(0)}`;
  for (const report of ['overview', 'revenue', 'realtime', 'search', 'discounts']) {
    group(report, () => {
      const res = http.get(`${BASE_URL}/api/v1/sites/${siteId}/reports/${report}?${range}`, { headers, tags: { report } });
      check(res, { [`${report} is 200`]: (r) => r.status === 200 });
    });
  }
  // The statistics behind experiment reports (issue #17), any valid token.
  group('stats', () => {
    const body = JSON.stringify({ engine: 'bayesian', metric: 'proportion', control: { n: 1000, sum: 100 }, treatment: { n: 1000, sum: 120 } });
    const res = http.post(`${BASE_URL}/api/v1/stats/compare`, body, { headers: { ...headers, 'Content-Type': 'application/json' }, tags: { report: 'stats' } });
    check(res, { 'stats/compare is 200': (r) => r.status === 200 });
  });
  // The experiment report (issue #17) of the experiment experiment-assign.js creates (EXPERIMENT, default k6_button): default range, from the kept totals.
  group('experiment', () => {
    const res = http.get(`${BASE_URL}/api/v1/sites/${siteId}/experiments/${__ENV.EXPERIMENT || 'k6_button'}/report`, { headers, tags: { report: 'experiment' } });
    check(res, { 'experiment report is 200': (r) => r.status === 200 });
  });
  // Retention (issue #16): 12 weekly visitor cohorts and 12 monthly customer cohorts.
  for (const query of [`cohort=visitor&period=week&from=${day(-83)}&to=${day(0)}`, `cohort=customer&period=month&from=${day(-365)}&to=${day(0)}`]) {
    group('retention', () => {
      const res = http.get(`${BASE_URL}/api/v1/sites/${siteId}/reports/retention?${query}`, { headers, tags: { report: 'retention' } });
      check(res, { 'retention is 200': (r) => r.status === 200 });
    });
  }
  // Funnels (issue #15): the 4-step purchase funnel ending in a paid order, over 30 days.
  group('funnel', () => {
    const body = JSON.stringify({ from: day(-29), to: day(0), steps: [{ type: 'pageview', path: '/' }, { type: 'pageview', path: '/products/*' },
      { type: 'event', name: 'add_to_cart' }, { type: 'order' }] });
    const res = http.post(`${BASE_URL}/api/v1/sites/${siteId}/reports/funnel`, body, { headers: { ...headers, 'Content-Type': 'application/json' }, tags: { report: 'funnel' } });
    check(res, { 'funnel is 200': (r) => r.status === 200 });
  });
  // Errors, heatmaps and web vitals (issue #18), over 30 days: the grouped error list, the click
  // density of the home page on desktop, and p75 per metric.
  const host = __ENV.SITE_HOST || 'shop.example';
  for (const [report, path] of [['errors', `errors?${range}`], ['heatmap', `reports/heatmap?${range}&url=${encodeURIComponent(`https://${host}/`)}`], ['vitals', `reports/vitals?${range}`]]) {
    group(report, () => {
      const res = http.get(`${BASE_URL}/api/v1/sites/${siteId}/${path}`, { headers, tags: { report } });
      check(res, { [`${report} is 200`]: (r) => r.status === 200 });
    });
  }
}
