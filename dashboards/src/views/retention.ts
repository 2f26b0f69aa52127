/**
 * Retention: the cohort matrix as a heat table (each cell's colour is its rate, its text the
 * count and rate), visitor or customer cohorts by day / week / month, and for customer cohorts
 * the cumulative lifetime value per member as one line per cohort in the chosen currency —
 * GET /reports/retention. The view's own fragment parameters: `cohort` (visitor | customer) and
 * `grain` (the API's `period`: §9 names it grain, since `period` is the date range).
 */
import type { CohortRow } from '../../../src/reports/retention/report.ts';
import { lineChart, seriesColor } from '../charts.ts';
import { formatInteger, formatMoney, formatPercent, majorUnits } from '../format.ts';
import { h, type Column } from '../render.ts';
import { chartFigure, dataTable, loadInto, panel } from '../ui.ts';
import type { View, ViewContext } from './context.ts';

export interface RetentionReport {
  cohort: 'visitor' | 'customer';
  period: 'day' | 'week' | 'month';
  from: string;
  to: string;
  tz: string;
  currency?: string;
  cohorts: CohortRow[];
  summary: { retention: { period: number; rate: number }[]; repeat_purchase_rate?: number; median_days_to_second_order?: number | null };
}

const GRAINS = ['day', 'week', 'month'] as const;
const COHORTS = ['visitor', 'customer'] as const;
/** The API allows 400 days; day cohorts over more than 60 days make a matrix nobody can read. */
const MAX_DAY_COHORT_DAYS = 62;
const LINES = 12;

function choice<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

const periodWord = (p: RetentionReport['period'], k: number) => `${p[0]!.toUpperCase()}${p.slice(1)} ${k}`;

/** The matrix: one row per cohort, one column per period k; a cell's background alpha is its rate. */
function heatTable(r: RetentionReport): HTMLElement {
  const width = Math.max(0, ...r.cohorts.map((c) => c.values.length));
  const head = h('tr', {}, h('th', { scope: 'col' }, 'Cohort'), h('th', { scope: 'col', class: 'num' }, 'Size'),
    ...Array.from({ length: width }, (_, k) => h('th', { scope: 'col', class: 'num' }, periodWord(r.period, k))));
  const body = h('tbody');
  for (const c of r.cohorts) {
    const cells = Array.from({ length: width }, (_, k) => {
      const v = c.values[k];
      if (!v) return h('td', { class: 'heat none' }, '');
      const td = h('td', { class: 'heat num', title: `${formatInteger(v.count)} of ${formatInteger(c.size)}`, 'data-rate': String(v.rate) },
        h('span', { class: 'rate' }, formatPercent(v.rate)), h('span', { class: 'count' }, formatInteger(v.count)));
      td.style.setProperty('--heat', String(Math.max(0.04, v.rate)));
      if (v.rate > 0.55) td.classList.add('dark');
      return td;
    });
    body.append(h('tr', {}, h('th', { scope: 'row' }, c.cohort), h('td', { class: 'num' }, formatInteger(c.size)), ...cells));
  }
  const noun = r.cohort === 'visitor' ? 'visitors with a pageview' : 'customers with a paid order';
  return h('div', { class: 'scroll' }, h('table', { class: 'heat-table' },
    h('caption', {}, `Share of each ${r.period}'s cohort of ${noun} in each later ${r.period} (${r.tz})`),
    h('thead', {}, head), body));
}

function drawMatrix(r: RetentionReport, body: HTMLElement): void {
  const s = r.summary;
  const cards = h('ul', { class: 'cards' },
    h('li', { class: 'card', 'data-metric': 'cohorts' }, h('span', { class: 'label' }, 'Cohorts'), h('span', { class: 'value' }, formatInteger(r.cohorts.length))),
    h('li', { class: 'card', 'data-metric': 'members' }, h('span', { class: 'label' }, 'Members'),
      h('span', { class: 'value' }, formatInteger(r.cohorts.reduce((n, c) => n + c.size, 0)))),
    s.retention[1] !== undefined && h('li', { class: 'card', 'data-metric': 'retained-1' },
      h('span', { class: 'label' }, `Back in ${r.period} 1`), h('span', { class: 'value' }, formatPercent(s.retention[1].rate))),
    s.repeat_purchase_rate !== undefined && h('li', { class: 'card', 'data-metric': 'repeat' },
      h('span', { class: 'label' }, 'Repeat purchase'), h('span', { class: 'value' }, formatPercent(s.repeat_purchase_rate))),
    s.median_days_to_second_order != null && h('li', { class: 'card', 'data-metric': 'median-days' },
      h('span', { class: 'label' }, 'Median days to 2nd order'), h('span', { class: 'value' }, s.median_days_to_second_order.toFixed(1))));
  body.append(cards, heatTable(r));
  if (r.cohort === 'visitor') {
    body.append(h('p', { class: 'help' }, 'Visitor cohorts need persistent visitor ids (the tracker’s vid): cookieless ids rotate daily, so every visitor looks new the next day.'));
  }
}

function drawLtv(r: RetentionReport, body: HTMLElement): void {
  const currency = r.currency ?? 'USD';
  const money = (n: number) => formatMoney(Math.round(n), currency);
  const cohorts = r.cohorts.slice(-LINES);
  const width = Math.max(0, ...cohorts.map((c) => c.revenue?.length ?? 0));
  const labels = Array.from({ length: width }, (_, k) => periodWord(r.period, k));
  const fig = chartFigure(`Cumulative net revenue per member by cohort, in ${currency}`, 'Lifetime value as a table', 'ltv-chart');
  lineChart(fig.canvas, labels, cohorts.map((c, i) => ({
    label: c.cohort, values: (c.revenue ?? []).map((v) => majorUnits(v.cumulative_per_member, currency)), color: seriesColor(i),
  })), (n) => `${n.toFixed(2)} ${currency}`);
  type Row = CohortRow;
  const cols: Column<Row>[] = [
    { label: 'Cohort', value: (c) => c.cohort },
    { label: 'Size', value: (c) => formatInteger(c.size), numeric: true },
    ...labels.map((label, k): Column<Row> => ({ label, value: (c) => (c.revenue?.[k] ? money(c.revenue[k].cumulative_per_member) : ''), numeric: true })),
  ];
  fig.table.append(dataTable(cols, r.cohorts, { caption: `Cumulative net revenue per member (${currency})` }));
  body.append(fig.node);
}

function selectors(ctx: ViewContext, cohort: string, grain: string): HTMLElement {
  const select = (id: string, label: string, values: readonly string[], value: string, key: string) => {
    const s = h('select', { id, name: key }, ...values.map((v) => h('option', { value: v }, v[0]!.toUpperCase() + v.slice(1))));
    s.value = value;
    s.addEventListener('change', () => ctx.setParams({ [key]: s.value }));
    return h('div', { class: 'field inline' }, h('label', { for: id }, label), s);
  };
  return h('div', { class: 'field-row' },
    select('retention-cohort', 'Cohorts of', COHORTS, cohort, 'cohort'),
    select('retention-grain', 'By', GRAINS, grain, 'grain'));
}

export const retentionView: View = {
  name: 'retention',
  title: 'Retention',
  async render(ctx, root, signal) {
    const cohort = choice(ctx.params.get('cohort'), COHORTS, 'visitor');
    const days = (Date.parse(`${ctx.state.to}T00:00:00Z`) - Date.parse(`${ctx.state.from}T00:00:00Z`)) / 86_400_000 + 1;
    const grain = choice(ctx.params.get('grain'), GRAINS, days > MAX_DAY_COHORT_DAYS ? 'week' : 'day');
    const main = panel('Retention', 'retention');
    main.head.append(selectors(ctx, cohort, grain));
    root.append(main.section);
    const query = ctx.query({ cohort, period: grain });
    query.delete('interval');
    if (cohort === 'visitor') query.delete('currency');
    const report = ctx.api.get<RetentionReport>('reports/retention', query);
    const loads = [loadInto(main.body, () => report, drawMatrix, { signal, isEmpty: (r) => r.cohorts.length === 0 })];
    if (cohort === 'customer') {
      const ltv = panel('Lifetime value', 'ltv');
      root.append(ltv.section);
      loads.push(loadInto(ltv.body, () => report, drawLtv, { signal, isEmpty: (r) => r.cohorts.length === 0 }));
    }
    await Promise.all(loads);
  },
};
