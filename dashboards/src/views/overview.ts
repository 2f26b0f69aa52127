/**
 * Overview: traffic (cards against the previous period, visitors and pageviews over time with its
 * table), the top lists (pages, referrers, channels, UTM sources, countries, browsers, OS,
 * devices) and the CSV export of the raw tables — GET /reports/overview and /export/{table}.csv.
 */
import { EXPORT_TABLES, type Overview, type TopRow } from '../api.ts';
import { lineChart, type LineSeries } from '../charts.ts';
import { bucketLabel, countryName, formatChange, formatDuration, formatInteger, formatPercent } from '../format.ts';
import { h, renderCards, type Column } from '../render.ts';
import { cardList, chartFigure, dataTable, errorText, isAbort, loadInto, panel } from '../ui.ts';
import type { View, ViewContext } from './context.ts';

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

export function rangeText(from: string, to: string, tz: string): string {
  return from === to ? `${from} (${tz})` : `${from} – ${to} (${tz})`;
}

function drawTraffic(o: Overview, body: HTMLElement, rangeNode: HTMLElement): void {
  const t = o.totals;
  const p = o.previous?.totals;
  rangeNode.textContent = rangeText(o.range.from, o.range.to, o.range.tz);
  const cards = cardList('traffic-cards');
  renderCards(cards, [
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
  const range = rangeText(o.range.from, o.range.to, o.range.tz);
  const fig = chartFigure(
    `Visitors and pageviews per ${o.range.interval}, ${range}: ${formatInteger(t.visitors)} visitors, ${formatInteger(t.pageviews)} pageviews`,
    'Traffic as a table',
    'traffic-chart',
  );
  fig.table.id = 'traffic-table';
  body.append(cards, fig.node);
  const multiDay = o.range.from !== o.range.to;
  const labels = o.series.map((s) => bucketLabel(s.t, o.range.interval, multiDay));
  const series: LineSeries[] = [
    { label: 'Visitors', values: o.series.map((s) => s.visitors), color: 'primary' },
    { label: 'Pageviews', values: o.series.map((s) => s.pageviews), color: 'secondary' },
  ];
  // The previous period's visitors, bucket by bucket (same length, so the same number of buckets
  // except around DST with hour buckets — then the shorter one simply ends early).
  if (o.previous) series.push({ label: 'Visitors (previous period)', values: o.previous.series.map((s) => s.visitors), color: 'muted', dashed: true });
  lineChart(fig.canvas, labels, series, formatInteger);
  type Point = Overview['series'][number];
  const cols: Column<Point>[] = [
    { label: o.range.interval === 'hour' ? 'Hour' : 'Starting', value: (s) => s.t },
    { label: 'Visitors', value: (s) => formatInteger(s.visitors), numeric: true },
    { label: 'Visits', value: (s) => formatInteger(s.visits), numeric: true },
    { label: 'Pageviews', value: (s) => formatInteger(s.pageviews), numeric: true },
  ];
  fig.table.append(dataTable(cols, o.series, { caption: 'Traffic per bucket' }));
}

function drawTops(o: Overview, body: HTMLElement): void {
  body.append(
    h(
      'div',
      { class: 'tops', id: 'tops' },
      ...TOP_LISTS.map((list) => {
        const rows = o.top[list.key] ?? [];
        const max = Math.max(1, ...rows.map((r) => r.visitors));
        const columns: Column<TopRow>[] = [
          { label: list.column, value: (r) => (list.name ? list.name(r.key) : r.key) },
          { label: 'Visitors', value: (r) => formatInteger(r.visitors), numeric: true },
          { label: 'Views', value: (r) => formatInteger(r.pageviews), numeric: true },
        ];
        return h('div', { class: 'top', 'data-list': list.key }, dataTable(columns, rows, { caption: list.title, share: (r) => r.visitors / max }));
      }),
    ),
  );
}

function exportPanel(ctx: ViewContext): HTMLElement {
  const p = panel('Export', 'export');
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', id: 'export-status' });
  const list = h(
    'ul',
    { class: 'exports', id: 'exports' },
    ...EXPORT_TABLES.map((table) => {
      const button = h('button', { type: 'button', class: 'secondary', 'data-table': table }, `${table}.csv`);
      button.addEventListener('click', () => {
        status.textContent = `Preparing ${table}.csv…`;
        button.disabled = true;
        const q = ctx.query();
        q.delete('interval');
        q.delete('currency');
        ctx.api.downloadCsv(table, q) // a revoked token signs out from here too
          .then((bytes) => (status.textContent = `${table}.csv downloaded (${formatInteger(bytes)} bytes).`))
          .catch((e: unknown) => {
            if (!isAbort(e)) status.textContent = errorText(e);
          })
          .finally(() => (button.disabled = false));
      });
      return h('li', {}, button);
    }),
  );
  p.body.append(h('p', { class: 'help' }, 'CSV of the raw rows in the selected dates (time zone as above).'), list, status);
  return p.section;
}

export const overviewView: View = {
  name: 'overview',
  title: 'Overview',
  async render(ctx, root, signal) {
    const traffic = panel('Traffic', 'traffic');
    const rangeNode = h('span', { class: 'range', id: 'traffic-range' });
    traffic.section.querySelector('h2')?.append(rangeNode);
    const tops = panel('Top lists', 'tops');
    root.append(traffic.section, tops.section, exportPanel(ctx));
    const compare: Record<string, string> = ctx.state.compare ? { compare: 'previous' } : {};
    const report = ctx.api.get<Overview>('reports/overview', ctx.query({ ...compare, limit: '10' }));
    await Promise.all([
      loadInto(traffic.body, () => report, (o, body) => drawTraffic(o, body, rangeNode), { signal }),
      loadInto(tops.body, () => report, drawTops, { signal }),
    ]);
  },
};
