/**
 * Discount codes: per code its orders, gross, discount given, refunds, net, average order,
 * customers and new customers, counted as the revenue report counts, beside the orders without
 * a code — GET /reports/discounts in the chosen currency; net per code as bars with the table.
 */
import type { DiscountCodeRow, DiscountsReport } from '../../../src/reports/discounts/report.ts';
import { multiBarChart } from '../charts.ts';
import { formatInteger, formatMoney, majorUnits } from '../format.ts';
import { renderCards, type Column } from '../render.ts';
import { cardList, chartFigure, dataTable, loadInto, panel } from '../ui.ts';
import type { View } from './context.ts';

function drawDiscounts(r: DiscountsReport, body: HTMLElement): void {
  const money = (n: number) => formatMoney(n, r.currency);
  const coded = r.codes.reduce((n, c) => n + c.orders, 0);
  const cards = cardList('discount-cards');
  renderCards(cards, [
    { metric: 'codes', label: 'Codes used', value: formatInteger(r.codes.length), current: r.codes.length },
    { metric: 'without_code_orders', label: 'Orders without a code', value: formatInteger(r.without_code.orders), current: r.without_code.orders },
    { metric: 'without_code_aov', label: 'Average order without a code', value: money(r.without_code.aov), current: r.without_code.aov },
  ]);
  const fig = chartFigure(`Net revenue per discount code in ${r.currency}`, 'Codes as a table', 'discounts-chart');
  body.append(cards, fig.node);
  multiBarChart(fig.canvas, r.codes.map((c) => c.code), [
    { label: `Net (${r.currency})`, values: r.codes.map((c) => majorUnits(c.net, r.currency)) },
    { label: `Discount (${r.currency})`, values: r.codes.map((c) => majorUnits(c.discount, r.currency)) },
  ], { format: (n) => n.toLocaleString(undefined, { maximumFractionDigits: 2 }) });
  const cols: Column<DiscountCodeRow>[] = [
    { label: 'Code', value: (c) => c.code },
    { label: 'Orders', value: (c) => formatInteger(c.orders), numeric: true },
    { label: 'Gross', value: (c) => money(c.gross), numeric: true },
    { label: 'Discount', value: (c) => money(c.discount), numeric: true },
    { label: 'Refunds', value: (c) => money(c.refunds), numeric: true },
    { label: 'Net', value: (c) => money(c.net), numeric: true },
    { label: 'Average order', value: (c) => money(c.aov), numeric: true },
    { label: 'Customers', value: (c) => formatInteger(c.customers), numeric: true },
    { label: 'New customers', value: (c) => formatInteger(c.new_customers), numeric: true },
  ];
  const max = Math.max(1, ...r.codes.map((c) => c.net));
  const caption = `Discount codes (${r.currency}); an order with two codes counts under each — ${formatInteger(coded)} code uses`;
  fig.table.append(dataTable([cols[0]!, cols[5]!, cols[3]!], r.codes, { caption: `Net and discount per code (${r.currency})` }));
  body.append(dataTable(cols, r.codes, { caption, share: (c) => Math.max(0, c.net) / max }));
  body.lastElementChild?.setAttribute('id', 'discount-codes');
}

export const discountsView: View = {
  name: 'discounts',
  title: 'Discount codes',
  async render(ctx, root, signal) {
    const main = panel('Discount codes', 'discounts');
    root.append(main.section);
    const query = ctx.query();
    query.delete('interval');
    await loadInto(main.body, () => ctx.api.get<DiscountsReport>('reports/discounts', query), drawDiscounts, {
      signal, isEmpty: (r) => r.codes.length === 0 && r.without_code.orders === 0,
    });
  },
};
