/**
 * Web vitals: p75 per metric coloured by Google's thresholds, the good / needs-improvement / poor
 * split as stacked bars (with its table), and the slowest pages — GET /reports/vitals over the
 * shared dates and zone, filtered by the view's own `device` and `path` fragment parameters.
 */
import type { MetricSummary, VitalMetric, VitalsPage, VitalsReport } from '../../../src/reports/vitals/report.ts';
import { stackedBarChart } from '../charts.ts';
import { formatInteger, formatPercent } from '../format.ts';
import { h, type Column } from '../render.ts';
import { chartFigure, dataTable, loadInto, panel } from '../ui.ts';
import type { View, ViewContext } from './context.ts';

const METRICS: { key: VitalMetric; label: string; unit: 'ms' | '' }[] = [
  { key: 'lcp', label: 'Largest Contentful Paint', unit: 'ms' },
  { key: 'inp', label: 'Interaction to Next Paint', unit: 'ms' },
  { key: 'cls', label: 'Cumulative Layout Shift', unit: '' },
  { key: 'fcp', label: 'First Contentful Paint', unit: 'ms' },
  { key: 'ttfb', label: 'Time to First Byte', unit: 'ms' },
];

/** Google's thresholds (the same as the API's: good ≤ good, poor > poor). */
const THRESHOLDS: Record<VitalMetric, { good: number; poor: number }> = {
  lcp: { good: 2500, poor: 4000 },
  inp: { good: 200, poor: 500 },
  cls: { good: 0.1, poor: 0.25 },
  fcp: { good: 1800, poor: 3000 },
  ttfb: { good: 800, poor: 1800 },
};

const DEVICES = ['', 'desktop', 'tablet', 'mobile'] as const;
/** Fixed hues for the three ratings, readable on both schemes (as PageSpeed Insights colours them). */
const RATING_COLORS = { good: '#0c9d58', needs: '#e8a317', poor: '#e0412f' };

export type Rating = 'good' | 'needs-improvement' | 'poor';

export function rating(metric: VitalMetric, value: number | null): Rating | undefined {
  if (value === null) return undefined;
  const t = THRESHOLDS[metric];
  return value <= t.good ? 'good' : value > t.poor ? 'poor' : 'needs-improvement';
}

/** A p75 as a reader reads it: ms without decimals below 10 s, CLS with three decimals (values stay unrounded in the tables' titles). */
export function formatVital(metric: VitalMetric, value: number | null): string {
  if (value === null) return '–';
  if (metric === 'cls') return value.toFixed(3);
  return `${formatInteger(Math.round(value))} ms`;
}

function drawCards(r: VitalsReport, body: HTMLElement): void {
  const list = h('ul', { class: 'cards vitals' });
  for (const m of METRICS) {
    const s: MetricSummary = r.metrics[m.key];
    const tone = rating(m.key, s.p75);
    list.append(h('li', { class: `card rating-${tone ?? 'none'}`, 'data-metric': m.key },
      h('span', { class: 'label' }, `${m.key.toUpperCase()} p75`),
      h('span', { class: 'value', title: s.p75 === null ? '' : String(s.p75) }, formatVital(m.key, s.p75)),
      h('span', { class: 'change' }, tone ? `${tone.replace('-', ' ')} · ${formatInteger(s.samples)} samples` : 'no samples')));
  }
  body.append(list);
  const fig = chartFigure('Share of good, needs-improvement and poor samples per metric', 'Ratings as a table', 'vitals-chart');
  body.append(fig.node);
  const labels = METRICS.map((m) => m.key.toUpperCase());
  stackedBarChart(fig.canvas, labels, [
    { label: 'Good', values: METRICS.map((m) => r.metrics[m.key].good), color: RATING_COLORS.good },
    { label: 'Needs improvement', values: METRICS.map((m) => r.metrics[m.key].needs_improvement), color: RATING_COLORS.needs },
    { label: 'Poor', values: METRICS.map((m) => r.metrics[m.key].poor), color: RATING_COLORS.poor },
  ], formatPercent, true);
  type Row = (typeof METRICS)[number];
  const cols: Column<Row>[] = [
    { label: 'Metric', value: (m) => `${m.key.toUpperCase()} — ${m.label}` },
    { label: 'p75', value: (m) => formatVital(m.key, r.metrics[m.key].p75), numeric: true },
    { label: 'Samples', value: (m) => formatInteger(r.metrics[m.key].samples), numeric: true },
    { label: 'Good', value: (m) => formatPercent(r.metrics[m.key].good), numeric: true },
    { label: 'Needs improvement', value: (m) => formatPercent(r.metrics[m.key].needs_improvement), numeric: true },
    { label: 'Poor', value: (m) => formatPercent(r.metrics[m.key].poor), numeric: true },
    { label: 'Good ≤ / poor >', value: (m) => `${THRESHOLDS[m.key].good} / ${THRESHOLDS[m.key].poor}${m.unit ? ` ${m.unit}` : ''}`, numeric: true },
  ];
  fig.table.append(dataTable(cols, METRICS, { caption: 'Web vitals per metric' }));
}

function drawPages(r: VitalsReport, body: HTMLElement, ctx: ViewContext): void {
  const cols: Column<VitalsPage>[] = [
    { label: 'Page', value: (p) => p.path },
    { label: 'Samples', value: (p) => formatInteger(p.samples), numeric: true },
    { label: 'LCP p75', value: (p) => formatVital('lcp', p.lcp_p75), numeric: true },
    { label: 'INP p75', value: (p) => formatVital('inp', p.inp_p75), numeric: true },
    { label: 'CLS p75', value: (p) => formatVital('cls', p.cls_p75), numeric: true },
  ];
  body.append(dataTable(cols, r.pages, { caption: 'Slowest pages (of the 50 with the most samples), by LCP p75' }));
  // A page's path filters the whole view: the row headers become links.
  body.querySelectorAll<HTMLElement>('tbody th .key').forEach((key, i) => {
    const page = r.pages[i];
    if (!page) return;
    const link = h('a', { href: ctx.hrefOf('vitals', { ...Object.fromEntries(ctx.params), path: page.path }) }, page.path);
    key.replaceChildren(link);
  });
}

function filters(ctx: ViewContext): HTMLElement {
  const device = h('select', { id: 'vitals-device', name: 'device' },
    ...DEVICES.map((d) => h('option', { value: d }, d ? d[0]!.toUpperCase() + d.slice(1) : 'All devices')));
  device.value = DEVICES.includes(ctx.params.get('device') as (typeof DEVICES)[number]) ? ctx.params.get('device')! : '';
  device.addEventListener('change', () => ctx.setParams({ device: device.value || undefined }));
  const path = ctx.params.get('path');
  return h('div', { class: 'field-row' },
    h('div', { class: 'field inline' }, h('label', { for: 'vitals-device' }, 'Device'), device),
    path ? h('p', { class: 'filter' }, 'Page ', h('code', {}, path), ' ',
      h('a', { href: ctx.hrefOf('vitals', { ...Object.fromEntries([...ctx.params].filter(([k]) => k !== 'path')) }) }, 'show all pages')) : false);
}

export const vitalsView: View = {
  name: 'vitals',
  title: 'Web vitals',
  async render(ctx, root, signal) {
    const main = panel('Web vitals', 'vitals');
    const pages = panel('Slowest pages', 'vitals-pages');
    main.head.append(filters(ctx));
    root.append(main.section, pages.section);
    const extra: Record<string, string> = {};
    const device = ctx.params.get('device');
    if (device && DEVICES.includes(device as (typeof DEVICES)[number])) extra.device = device;
    const path = ctx.params.get('path');
    if (path) extra.path = path;
    const query = ctx.query(extra);
    query.delete('interval');
    query.delete('currency');
    const report = ctx.api.get<VitalsReport>('reports/vitals', query);
    const none = (r: VitalsReport) => METRICS.every((m) => r.metrics[m.key].samples === 0);
    await Promise.all([
      loadInto(main.body, () => report, drawCards, { signal, isEmpty: none }),
      loadInto(pages.body, () => report, (r, body) => drawPages(r, body, ctx), { signal, isEmpty: (r) => r.pages.length === 0 }),
    ]);
  },
};
