/**
 * Products: views, add-to-carts, purchases, units, revenue and view-to-purchase conversion per
 * product, by revenue — GET /reports/products in the chosen currency (no interval: one table).
 */
import type { Products } from '../api.ts';
import { formatInteger, formatMoney, formatPercent } from '../format.ts';
import { h, type Column } from '../render.ts';
import { dataTable, loadInto, panel } from '../ui.ts';
import type { View } from './context.ts';

/** Rows shown: a catalogue's head; the API's `total` says how many there are in all. */
const LIMIT = 50;

function drawProducts(p: Products, body: HTMLElement): void {
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
  body.append(h('div', { id: 'products' }, dataTable(cols, p.products, { caption, share: (r) => r.revenue / max })));
}

export const productsView: View = {
  name: 'products',
  title: 'Products',
  async render(ctx, root, signal) {
    const main = panel('Products', 'products');
    root.append(main.section);
    const query = ctx.query({ limit: String(LIMIT) });
    query.delete('interval');
    await loadInto(main.body, () => ctx.api.get<Products>('reports/products', query), drawProducts, { signal });
  },
};
