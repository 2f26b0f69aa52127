/**
 * The report panels: traffic (cards, chart, top lists) and revenue (cards, chart, top products).
 * Each takes an API answer and draws it; nothing here fetches.
 */
import type { Overview, Products, Revenue, TopRow } from './api.ts';
import { barChart, lineChart, type LineSeries } from './charts.ts';
import {
  bucketLabel, countryName, formatChange, formatDuration, formatInteger, formatMoney, formatPercent, majorUnits,
} from './format.ts';
import { byId, h, renderCards, renderTable, type Column } from './render.ts';

const TOP_LISTS: { key: string; title: string; column: string; name?: (key: string) => string }[] = [
  { key: 'pages', title: 'Pages', column: 'Page' },
  { key: 'referrers', title: 'Referrers', column: 'Referrer' },
  { key: 'channels', title: 'Channels', column: 'Channel' },
  { key: 'utm_sources', title: 'UTM sources', column: 'Source' },
  { key: 'countries', title: 'Countries', column: 'Country', name: countryName },
  { key: 'browsers', title: 'Browsers', column: 'Browser' },
  { key: 'os', title: 'Operating systems', column: 'OS' },
  { key: 'devices', title: 'Devices', column: 'Device' },
];

function rangeText(from: string, to: string, tz: string): string {
  return from === to ? `${from} (${tz})` : `${from} – ${to} (${tz})`;
}

export function renderOverview(o: Overview): void {
  const t = o.totals;
  const p = o.previous?.totals;
  byId('traffic-range').textContent = rangeText(o.range.from, o.range.to, o.range.tz);
  renderCards(byId('traffic-cards'), [
    { metric: 'visitors', label: 'Visitors', value: formatInteger(t.visitors), current: t.visitors, previous: p?.visitors, change: formatChange(t.visitors, p?.visitors) },
    { metric: 'visits', label: 'Visits', value: formatInteger(t.visits), current: t.visits, previous: p?.visits, change: formatChange(t.visits, p?.visits) },
    { metric: 'pageviews', label: 'Pageviews', value: formatInteger(t.pageviews), current: t.pageviews, previous: p?.pageviews, change: formatChange(t.pageviews, p?.pageviews) },
    {
      metric: 'bounce_rate', label: 'Bounce rate', value: formatPercent(t.bounce_rate), current: t.bounce_rate, previous: p?.bounce_rate,
      change: formatChange(t.bounce_rate, p?.bounce_rate, 'points'), lowerIsBetter: true,
    },
    {
      metric: 'avg_visit_seconds', label: 'Visit duration', value: formatDuration(t.avg_visit_seconds), current: t.avg_visit_seconds,
      previous: p?.avg_visit_seconds, change: formatChange(t.avg_visit_seconds, p?.avg_visit_seconds),
    },
  ]);

  const multiDay = o.range.from !== o.range.to;
  const labels = o.series.map((s) => bucketLabel(s.t, o.range.interval, multiDay));
  const series: LineSeries[] = [
    { label: 'Visitors', values: o.series.map((s) => s.visitors), color: 'primary' },
    { label: 'Pageviews', values: o.series.map((s) => s.pageviews), color: 'secondary' },
  ];
  // The previous period's visitors, bucket by bucket (same length, so the same number of buckets
  // except around DST with hour buckets — then the shorter one simply ends early).
  if (o.previous) series.push({ label: 'Visitors (previous period)', values: o.previous.series.map((s) => s.visitors), color: 'muted', dashed: true });
  const canvas = byId<HTMLCanvasElement>('traffic-chart');
  lineChart(canvas, labels, series, formatInteger);
  canvas.setAttribute('aria-label', `Visitors and pageviews per ${o.range.interval}, ${rangeText(o.range.from, o.range.to, o.range.tz)}: ${formatInteger(t.visitors)} visitors, ${formatInteger(t.pageviews)} pageviews`);
  type Point = Overview['series'][number];
  const cols: Column<Point>[] = [
    { label: o.range.interval === 'hour' ? 'Hour' : 'Starting', value: (s) => s.t },
    { label: 'Visitors', value: (s) => formatInteger(s.visitors), numeric: true },
    { label: 'Visits', value: (s) => formatInteger(s.visits), numeric: true },
    { label: 'Pageviews', value: (s) => formatInteger(s.pageviews), numeric: true },
  ];
  byId('traffic-table').replaceChildren(renderTable('Traffic per bucket', cols, o.series));

  byId('tops').replaceChildren(
    ...TOP_LISTS.map((list) => {
      const rows = o.top[list.key] ?? [];
      const max = Math.max(1, ...rows.map((r) => r.visitors));
      const columns: Column<TopRow>[] = [
        { label: list.column, value: (r) => (list.name ? list.name(r.key) : r.key) },
        { label: 'Visitors', value: (r) => formatInteger(r.visitors), numeric: true },
        { label: 'Views', value: (r) => formatInteger(r.pageviews), numeric: true },
      ];
      return h('div', { class: 'top', 'data-list': list.key }, renderTable(list.title, columns, rows, (r) => r.visitors / max));
    }),
  );
}

export function renderRevenue(r: Revenue): void {
  const t = r.totals;
  const p = r.previous?.totals;
  const money = (n: number) => formatMoney(n, r.currency);
  const card = (metric: keyof typeof t, label: string, value: string, lowerIsBetter = false) => ({
    metric, label, value, current: t[metric], previous: p?.[metric], change: formatChange(t[metric], p?.[metric]), lowerIsBetter,
  });
  renderCards(byId('revenue-cards'), [
    card('gross', 'Gross revenue', money(t.gross)),
    card('refunds', 'Refunds', money(t.refunds), true),
    card('net', 'Net revenue', money(t.net)),
    card('orders', 'Orders', formatInteger(t.orders)),
    card('aov', 'Average order', money(t.aov)),
    card('customers', 'Customers', formatInteger(t.customers)),
  ]);
  const multiDay = r.from !== r.to;
  const labels = r.series.map((s) => bucketLabel(s.t, r.interval, multiDay));
  const canvas = byId<HTMLCanvasElement>('revenue-chart');
  barChart(canvas, labels, `Net revenue (${r.currency})`, r.series.map((s) => majorUnits(s.net, r.currency)), (i) => money(r.series[i]?.net ?? 0));
  canvas.setAttribute('aria-label', `Net revenue per ${r.interval} in ${r.currency}, ${rangeText(r.from, r.to, r.tz)}: ${money(t.net)} in total`);
  type Point = Revenue['series'][number];
  const cols: Column<Point>[] = [
    { label: r.interval === 'hour' ? 'Hour' : 'Starting', value: (s) => s.t },
    { label: 'Orders', value: (s) => formatInteger(s.orders), numeric: true },
    { label: 'Gross', value: (s) => money(s.gross), numeric: true },
    { label: 'Refunds', value: (s) => money(s.refunds), numeric: true },
    { label: 'Net', value: (s) => money(s.net), numeric: true },
  ];
  byId('revenue-table').replaceChildren(renderTable(`Revenue per bucket (${r.currency})`, cols, r.series));
}

export function renderProducts(p: Products): void {
  type Row = Products['products'][number];
  const max = Math.max(1, ...p.products.map((r) => r.revenue));
  const cols: Column<Row>[] = [
    { label: 'Product', value: (r) => r.name ?? r.product_id },
    { label: 'Views', value: (r) => formatInteger(r.views), numeric: true },
    { label: 'Add to cart', value: (r) => formatInteger(r.add_to_carts), numeric: true },
    { label: 'Purchases', value: (r) => formatInteger(r.purchases), numeric: true },
    { label: 'Units', value: (r) => formatInteger(r.units), numeric: true },
    { label: `Revenue (${p.currency})`, value: (r) => formatMoney(r.revenue, p.currency), numeric: true },
    { label: 'Conversion', value: (r) => (r.conversion_rate === null ? '–' : formatPercent(r.conversion_rate)), numeric: true },
  ];
  const caption = p.total > p.products.length ? `Top ${p.products.length} of ${formatInteger(p.total)} products by revenue` : 'Products by revenue';
  byId('products').replaceChildren(h('div', { class: 'scroll' }, renderTable(caption, cols, p.products, (r) => r.revenue / max)));
}
