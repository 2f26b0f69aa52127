/**
 * Experiments: the site's experiments with their status, and one experiment's result — variants
 * with users, conversion rate, revenue per user, lift with its interval drawn as a bar around
 * zero, chance to win (Bayesian) or p-value (frequentist, sequential), an SRM warning banner
 * when p < 0.001, and the cumulative lift per day — GET …/experiments and
 * GET …/experiments/{key}/report (series=true for the chart, loaded on its own so the table
 * shows first). Fragment parameters: `experiment`, `metric`, `engine`, and `dates=selected` to
 * bound the report by the shared date range (by default the experiment's whole run).
 */
import type { ExperimentReport, VariantReport } from '../../../src/reports/experiment/report.ts';
import type { SeriesPoint } from '../../../src/reports/experiment/series.ts';
import type { Experiment } from '../../../src/experiments/definition.ts';
import { lineChart, seriesColor } from '../charts.ts';
import { formatInteger, formatMoney, formatPercent } from '../format.ts';
import { h, type Column } from '../render.ts';
import { chartFigure, dataTable, loadInto, panel } from '../ui.ts';
import type { View, ViewContext } from './context.ts';

const ENGINES = ['bayesian', 'frequentist', 'sequential'] as const;
type Engine = (typeof ENGINES)[number];
/** The SRM warning threshold of contract §7. */
const SRM_P = 0.001;

const signed = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1, signDisplay: 'exceptZero' });
const pct = (n: number | null) => (n === null ? '–' : signed.format(n));

function experimentList(list: Experiment[], body: HTMLElement, ctx: ViewContext, selected: string | undefined): void {
  const cols: Column<Experiment>[] = [
    { label: 'Experiment', value: (e) => e.name ? `${e.name} (${e.key})` : e.key },
    { label: 'Status', value: (e) => e.status },
    { label: 'Variants', value: (e) => e.variants.map((v) => `${v.key} ${formatPercent(v.weight)}`).join(', ') },
    { label: 'Started', value: (e) => e.started_at?.slice(0, 10) ?? '–' },
    { label: 'Stopped', value: (e) => e.stopped_at?.slice(0, 10) ?? '–' },
  ];
  body.append(dataTable(cols, list, { caption: `${formatInteger(list.length)} experiments` }));
  body.querySelectorAll<HTMLElement>('tbody th .key').forEach((key, i) => {
    const e = list[i];
    if (!e) return;
    const link = h('a', { href: ctx.hrefOf('experiments', { experiment: e.key }), 'aria-current': e.key === selected ? 'true' : undefined }, key.textContent ?? e.key);
    key.replaceChildren(link);
  });
}

/** The lift's interval on a scale symmetric around 0 (shared by the variants, so bars compare). */
function intervalBar(v: VariantReport, scale: number): HTMLElement {
  const track = h('span', { class: 'ci-track', role: 'img', 'aria-label': v.ci ? `interval ${pct(v.ci[0])} to ${pct(v.ci[1])}` : 'no interval' });
  track.append(h('span', { class: 'ci-zero', 'aria-hidden': 'true' }));
  if (v.ci && scale > 0) {
    const at = (x: number) => `${((Math.max(-scale, Math.min(scale, x)) + scale) / (2 * scale)) * 100}%`;
    const bar = h('span', { class: `ci-bar ${v.ci[0] > 0 ? 'up' : v.ci[1] < 0 ? 'down' : 'flat'}`, 'aria-hidden': 'true' });
    bar.style.left = at(v.ci[0]);
    bar.style.width = `calc(${at(v.ci[1])} - ${at(v.ci[0])})`;
    track.append(bar);
    if (v.lift !== null) {
      const dot = h('span', { class: 'ci-dot', 'aria-hidden': 'true' });
      dot.style.left = at(v.lift);
      track.append(dot);
    }
  }
  return track;
}

function drawResult(r: ExperimentReport, body: HTMLElement, currency: string): void {
  if (r.srm_warning) {
    body.append(h('p', { class: 'error banner', role: 'alert', 'data-srm': 'warning' },
      `Sample ratio mismatch: the users per variant differ from the weights more than chance allows (SRM p = ${r.srm_p_value.toPrecision(3)} < ${SRM_P}). `,
      'Check the assignment and the exposure events before trusting this result.'));
  }
  const bayes = r.engine === 'bayesian';
  const scale = Math.max(0, ...r.variants.flatMap((v) => (v.ci ? [Math.abs(v.ci[0]), Math.abs(v.ci[1])] : [])));
  const cols: Column<VariantReport>[] = [
    { label: 'Variant', value: (v) => v.key },
    { label: 'Users', value: (v) => formatInteger(v.users), numeric: true },
    { label: 'Converted', value: (v) => formatInteger(v.conversions), numeric: true },
    { label: 'Conversion rate', value: (v) => (v.conversion_rate === null ? '–' : formatPercent(v.conversion_rate)), numeric: true },
    { label: 'Revenue per user', value: (v) => (v.revenue_per_user === null ? '–' : formatMoney(Math.round(v.revenue_per_user), currency)), numeric: true },
    { label: 'Lift', value: (v) => pct(v.lift), numeric: true },
    { label: bayes ? 'Credible interval' : 'Confidence interval', value: (v) => (v.ci ? `${pct(v.ci[0])} … ${pct(v.ci[1])}` : '–'), numeric: true },
    bayes
      ? { label: 'Chance to win', value: (v) => (v.chance_to_win === null ? '–' : formatPercent(v.chance_to_win)), numeric: true }
      : { label: 'p-value', value: (v) => (v.p_value === null ? '–' : v.p_value.toPrecision(3)), numeric: true },
  ];
  const table = dataTable(cols, r.variants, { caption: `${r.metric} (${r.statistic}), ${r.engine} engine — the first variant is the baseline` });
  // The interval drawn beside its numbers: one more cell per row.
  table.querySelector('thead tr')?.append(h('th', { scope: 'col' }, 'Interval around 0'));
  table.querySelectorAll('tbody tr').forEach((tr, i) => {
    const v = r.variants[i];
    if (v) tr.append(h('td', { class: 'ci-cell' }, i === 0 ? h('span', { class: 'help' }, 'baseline') : intervalBar(v, scale)));
  });
  body.append(table, h('p', { class: 'help' },
    `SRM p-value ${r.srm_p_value.toPrecision(3)}; ${formatInteger(r.multiple_exposures)} visitors saw more than one variant and are left out.`));
}

function drawSeries(points: SeriesPoint[], body: HTMLElement, r: { variants: string[] }): void {
  const fig = chartFigure('Cumulative lift against the baseline per day', 'Cumulative lift as a table', 'lift-chart');
  const others = r.variants.slice(1);
  lineChart(fig.canvas, points.map((p) => p.t), others.map((key, i) => ({
    // In percent on the axis (chart.js ticks are plain numbers); exact fractions in the table.
    label: `${key} lift, %`, values: points.map((p) => 100 * (p.variants.find((v) => v.key === key)?.lift ?? Number.NaN)), color: seriesColor(i + 1),
  })), (n) => `${n.toFixed(1)} %`);
  const cols: Column<SeriesPoint>[] = [
    { label: 'Day', value: (p) => p.t },
    ...r.variants.map((key): Column<SeriesPoint> => ({ label: `${key} users`, value: (p) => formatInteger(p.variants.find((v) => v.key === key)?.users ?? 0), numeric: true })),
    ...others.map((key): Column<SeriesPoint> => ({ label: `${key} lift`, value: (p) => pct(p.variants.find((v) => v.key === key)?.lift ?? null), numeric: true })),
  ];
  fig.table.append(dataTable(cols, points, { caption: 'Cumulative users and lift per day' }));
  body.append(fig.node);
}

function select(ctx: ViewContext, id: string, label: string, options: [string, string][], value: string, key: string): HTMLElement {
  const s = h('select', { id, name: key }, ...options.map(([v, text]) => h('option', { value: v }, text)));
  s.value = value;
  s.addEventListener('change', () => ctx.setParams({ [key]: s.value }));
  return h('div', { class: 'field inline' }, h('label', { for: id }, label), s);
}

async function renderExperiment(ctx: ViewContext, root: HTMLElement, signal: AbortSignal, e: Experiment): Promise<void> {
  const metric = e.metrics.find((m) => m.key === ctx.params.get('metric')) ?? e.metrics[0]!;
  const engine: Engine = ENGINES.includes(ctx.params.get('engine') as Engine) ? (ctx.params.get('engine') as Engine) : 'bayesian';
  const bounded = ctx.params.get('dates') === 'selected';
  const result = panel(e.name ?? e.key, 'experiment');
  const dates = h('input', { type: 'checkbox', id: 'experiment-dates' });
  dates.checked = bounded;
  dates.addEventListener('change', () => ctx.setParams({ dates: dates.checked ? 'selected' : undefined }));
  result.head.append(h('div', { class: 'field-row' },
    select(ctx, 'experiment-metric', 'Metric', e.metrics.map((m) => [m.key, m.key]), metric.key, 'metric'),
    select(ctx, 'experiment-engine', 'Engine', ENGINES.map((x) => [x, x[0]!.toUpperCase() + x.slice(1)]), engine, 'engine'),
    h('div', { class: 'field check' }, dates, h('label', { for: 'experiment-dates' }, 'Only the selected dates'))));
  const lift = panel('Cumulative lift', 'lift');
  root.append(result.section, lift.section);
  const query = new URLSearchParams({ metric: metric.key, engine });
  if (bounded) {
    query.set('from', ctx.state.from);
    query.set('to', ctx.state.to);
  }
  if (ctx.state.tz) query.set('tz', ctx.state.tz);
  if (ctx.state.currency) query.set('currency', ctx.state.currency);
  const path = `experiments/${encodeURIComponent(e.key)}/report`;
  await Promise.all([
    // `currency` is the report's own field (the unit of revenue_per_user).
    loadInto(result.body, () => ctx.api.get<ExperimentReport & { currency: string }>(path, query), (r, body) => drawResult(r, body, r.currency), {
      signal, isEmpty: (r) => r.variants.every((v) => v.users === 0), emptyText: 'No exposures yet',
    }),
    loadInto(lift.body, () => ctx.api.get<ExperimentReport & { series: SeriesPoint[] }>(path, new URLSearchParams([...query, ['series', 'true']])),
      (r, body) => drawSeries(r.series, body, { variants: e.variants.map((v) => v.key) }), { signal, isEmpty: (r) => r.series.length === 0, emptyText: 'No exposures yet' }),
  ]);
}

export const experimentsView: View = {
  name: 'experiments',
  title: 'Experiments',
  async render(ctx, root, signal) {
    const list = panel('Experiments', 'experiments');
    root.append(list.section);
    let experiments: Experiment[] = [];
    await loadInto(list.body, async () => (experiments = (await ctx.api.get<{ experiments: Experiment[] }>('experiments')).experiments), (rows, body) => {
      const wanted = ctx.params.get('experiment') ?? rows.find((x) => x.status === 'running')?.key ?? rows[0]?.key;
      experimentList(rows, body, ctx, wanted);
    }, { signal, isEmpty: (rows) => rows.length === 0, emptyText: 'No experiments yet: create one with POST …/experiments or npx tally experiment create.' });
    const wanted = ctx.params.get('experiment') ?? experiments.find((x) => x.status === 'running')?.key ?? experiments[0]?.key;
    const e = experiments.find((x) => x.key === wanted);
    if (!e) {
      if (wanted && experiments.length) list.body.append(h('p', { class: 'error', role: 'alert' }, `No experiment ${wanted} on this site.`));
      return;
    }
    await renderExperiment(ctx, root, signal, e);
  },
};
