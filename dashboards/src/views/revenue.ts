/**
 * Revenue: totals against the previous period, net revenue over time (bars, with its table) and
 * revenue by channel — GET /reports/revenue in the chosen currency (the site's when none is).
 */
import type { Revenue } from '../api.ts';
import { barChart } from '../charts.ts';
import { bucketLabel, formatChange, formatInteger, formatMoney, majorUnits } from '../format.ts';
import { renderCards, type Column } from '../render.ts';
import { cardList, chartFigure, dataTable, loadInto, panel } from '../ui.ts';
import type { View } from './context.ts';
import { rangeText } from './overview.ts';

function drawRevenue(r: Revenue, body: HTMLElement): void {
  const t = r.totals;
  const p = r.previous?.totals;
  const money = (n: number) => formatMoney(n, r.currency);
  const card = (metric: keyof typeof t, label: string, value: string, lowerIsBetter = false) => ({
    metric, label, value, current: t[metric], previous: p?.[metric], change: formatChange(t[metric], p?.[metric]), lowerIsBetter,
  });
  const cards = cardList('revenue-cards');
  renderCards(cards, [
    card('gross', 'Gross revenue', money(t.gross)),
    card('refunds', 'Refunds', money(t.refunds), true),
    card('net', 'Net revenue', money(t.net)),
    card('orders', 'Orders', formatInteger(t.orders)),
    card('aov', 'Average order', money(t.aov)),
    card('customers', 'Customers', formatInteger(t.customers)),
    card('new_customers', 'New customers', formatInteger(t.new_customers)),
    card('discounts', 'Discounts', money(t.discounts)),
  ]);
  const fig = chartFigure(
    `Net revenue per ${r.interval} in ${r.currency}, ${rangeText(r.from, r.to, r.tz)}: ${money(t.net)} in total`,
    'Revenue as a table',
    'revenue-chart',
  );
  fig.table.id = 'revenue-table';
  body.append(cards, fig.node);
  const multiDay = r.from !== r.to;
  const labels = r.series.map((s) => bucketLabel(s.t, r.interval, multiDay));
  barChart(fig.canvas, labels, `Net revenue (${r.currency})`, r.series.map((s) => majorUnits(s.net, r.currency)), (i) => money(r.series[i]?.net ?? 0));
  type Point = Revenue['series'][number];
  const cols: Column<Point>[] = [
    { label: r.interval === 'hour' ? 'Hour' : 'Starting', value: (s) => s.t },
    { label: 'Orders', value: (s) => formatInteger(s.orders), numeric: true },
    { label: 'Gross', value: (s) => money(s.gross), numeric: true },
    { label: 'Refunds', value: (s) => money(s.refunds), numeric: true },
    { label: 'Net', value: (s) => money(s.net), numeric: true },
  ];
  fig.table.append(dataTable(cols, r.series, { caption: `Revenue per bucket (${r.currency})` }));
}

function drawChannels(r: Revenue, body: HTMLElement): void {
  type Row = Revenue['by_channel'][number];
  const money = (n: number) => formatMoney(n, r.currency);
  const max = Math.max(1, ...r.by_channel.map((c) => c.net));
  const cols: Column<Row>[] = [
    { label: 'Channel', value: (c) => c.key },
    { label: 'Orders', value: (c) => formatInteger(c.orders), numeric: true },
    { label: 'Gross', value: (c) => money(c.gross), numeric: true },
    { label: 'Refunds', value: (c) => money(c.refunds), numeric: true },
    { label: 'Net', value: (c) => money(c.net), numeric: true },
  ];
  body.append(dataTable(cols, r.by_channel, { caption: `Revenue by channel (${r.currency})`, share: (c) => c.net / max }));
}

export const revenueView: View = {
  name: 'revenue',
  title: 'Revenue',
  async render(ctx, root, signal) {
    const main = panel('Revenue', 'revenue');
    const channels = panel('By channel', 'channels');
    root.append(main.section, channels.section);
    const compare: Record<string, string> = ctx.state.compare ? { compare: 'previous' } : {};
    const report = ctx.api.get<Revenue>('reports/revenue', ctx.query({ ...compare, limit: '10' }));
    await Promise.all([
      loadInto(main.body, () => report, drawRevenue, { signal }),
      loadInto(channels.body, () => report, drawChannels, { signal }),
    ]);
  },
};
