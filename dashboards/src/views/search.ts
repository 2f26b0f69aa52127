/**
 * Site search: totals (searches, searchers, zero-result, click and conversion rates), the top
 * queries as a bar chart with their table (searches, zero results, clicks, average position,
 * orders and revenue within 7 days), and the queries that found nothing — GET /reports/search
 * in the chosen currency.
 */
import type { SearchQueryRow, SearchReport } from '../../../src/reports/search/report.ts';
import { multiBarChart } from '../charts.ts';
import { formatInteger, formatMoney, formatPercent } from '../format.ts';
import { h, renderCards, type Column } from '../render.ts';
import { cardList, chartFigure, dataTable, loadInto, panel } from '../ui.ts';
import type { View } from './context.ts';

/** Bars drawn: more than 15 queries do not read as a chart (the table lists up to 100). */
const BARS = 15;

function drawSearch(r: SearchReport, body: HTMLElement): void {
  const t = r.totals;
  const cards = cardList('search-cards');
  renderCards(cards, [
    { metric: 'searches', label: 'Searches', value: formatInteger(t.searches), current: t.searches },
    { metric: 'searchers', label: 'Searchers', value: formatInteger(t.searchers), current: t.searchers },
    { metric: 'zero_result_rate', label: 'Found nothing', value: formatPercent(t.zero_result_rate), current: t.zero_result_rate },
    { metric: 'click_rate', label: 'Clicked a result', value: formatPercent(t.click_rate), current: t.click_rate },
    { metric: 'conversion_rate', label: 'Searchers who bought', value: formatPercent(t.conversion_rate), current: t.conversion_rate },
  ]);
  const top = r.queries.slice(0, BARS);
  const fig = chartFigure(`The ${top.length} most searched queries`, 'Top queries as a table', 'search-chart');
  body.append(cards, fig.node);
  multiBarChart(fig.canvas, top.map((q) => q.query), [
    { label: 'Searches', values: top.map((q) => q.searches) },
    { label: 'Found nothing', values: top.map((q) => q.zero_results) },
  ], { horizontal: true, format: (n) => formatInteger(n) });
  const money = (n: number) => formatMoney(n, r.currency);
  const cols: Column<SearchQueryRow>[] = [
    { label: 'Query', value: (q) => q.query },
    { label: 'Searches', value: (q) => formatInteger(q.searches), numeric: true },
    { label: 'Searchers', value: (q) => formatInteger(q.searchers), numeric: true },
    { label: 'Found nothing', value: (q) => formatInteger(q.zero_results), numeric: true },
    { label: 'Clicks', value: (q) => formatInteger(q.clicks), numeric: true },
    { label: 'Avg position', value: (q) => (q.avg_click_position === null ? '–' : q.avg_click_position.toFixed(1)), numeric: true },
    { label: 'Orders (7 d)', value: (q) => formatInteger(q.orders), numeric: true },
    { label: `Revenue (${r.currency})`, value: (q) => money(q.revenue), numeric: true },
  ];
  const max = Math.max(1, ...r.queries.map((q) => q.searches));
  // The chart's own numbers under it; the full table (every column, up to 100 queries) follows.
  fig.table.append(dataTable([cols[0]!, cols[1]!, cols[3]!], top, { caption: `The ${top.length} most searched queries` }));
  body.append(h('div', { id: 'search-queries' }, dataTable(cols, r.queries, { caption: 'All queries (up to 100)', share: (q) => q.searches / max })));
}

function drawZero(r: SearchReport, body: HTMLElement): void {
  const max = Math.max(1, ...r.zero_result_queries.map((q) => q.searches));
  body.append(dataTable([
    { label: 'Query', value: (q: SearchReport['zero_result_queries'][number]) => q.query },
    { label: 'Searches', value: (q) => formatInteger(q.searches), numeric: true },
    { label: 'Searchers', value: (q) => formatInteger(q.searchers), numeric: true },
  ], r.zero_result_queries, { caption: 'Searches that found nothing, by query', share: (q) => q.searches / max }));
}

export const searchView: View = {
  name: 'search',
  title: 'Site search',
  async render(ctx, root, signal) {
    const main = panel('Site search', 'search');
    const zero = panel('Searches that found nothing', 'zero-results');
    root.append(main.section, zero.section);
    const query = ctx.query();
    query.delete('interval');
    const report = ctx.api.get<SearchReport>('reports/search', query);
    await Promise.all([
      loadInto(main.body, () => report, drawSearch, { signal, isEmpty: (r) => r.totals.searches === 0 }),
      loadInto(zero.body, () => report, drawZero, { signal, isEmpty: (r) => r.zero_result_queries.length === 0, emptyText: 'Every search in this range found something' }),
    ]);
  },
};
