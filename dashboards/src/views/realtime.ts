/**
 * Realtime: visitors active in the last minutes, pageviews per minute over the last half hour
 * (bars, with their table) and the current top pages and referrers — GET /reports/realtime,
 * polled every 15 s while the view is open (the topbar badge polls on its own on every view).
 */
import type { Realtime } from '../api.ts';
import { barChart } from '../charts.ts';
import { formatInteger } from '../format.ts';
import { h, renderCards, type Column } from '../render.ts';
import { cardList, chartFigure, dataTable, loadInto, panel } from '../ui.ts';
import type { View } from './context.ts';

/** Umami polls every 10 s, Plausible every 10–30 s: 15 s keeps the load light. */
export const REALTIME_MS = 15_000;

type Top = Realtime['top_pages'][number];

function topTable(title: string, column: string, rows: Top[]): HTMLElement {
  const max = Math.max(1, ...rows.map((r) => r.visitors));
  const cols: Column<Top>[] = [
    { label: column, value: (r) => r.key },
    { label: 'Visitors', value: (r) => formatInteger(r.visitors), numeric: true },
    { label: 'Views', value: (r) => formatInteger(r.pageviews), numeric: true },
  ];
  return h('div', { class: 'top', 'data-list': `realtime-${column.toLowerCase()}` }, dataTable(cols, rows, { caption: title, share: (r) => r.visitors / max }));
}

function draw(r: Realtime, body: HTMLElement): void {
  const minutes = r.window_seconds / 60;
  const cards = cardList('realtime-cards');
  renderCards(cards, [
    { metric: 'active_visitors', label: `Visitors, last ${minutes} min`, value: formatInteger(r.active_visitors), current: r.active_visitors },
    { metric: 'realtime_pageviews', label: `Pageviews, last ${minutes} min`, value: formatInteger(r.pageviews), current: r.pageviews },
  ]);
  const total = r.series.reduce((s, p) => s + p.pageviews, 0);
  const fig = chartFigure(`Pageviews per minute, last ${r.series.length} minutes: ${formatInteger(total)} in all`, 'Pageviews per minute as a table', 'realtime-chart');
  // Minutes are UTC instants: labelled in the browser's own clock, which is what "now" means to the reader.
  const time = (t: string) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  barChart(fig.canvas, r.series.map((p) => time(p.t)), 'Pageviews', r.series.map((p) => p.pageviews), (i) => formatInteger(r.series[i]?.pageviews ?? 0));
  type Point = Realtime['series'][number];
  const cols: Column<Point>[] = [
    { label: 'Minute', value: (p) => time(p.t) },
    { label: 'Pageviews', value: (p) => formatInteger(p.pageviews), numeric: true },
  ];
  fig.table.append(dataTable(cols, r.series, { caption: 'Pageviews per minute' }));
  body.append(cards, fig.node, h('div', { class: 'tops' }, topTable('Current pages', 'Page', r.top_pages), topTable('Current referrers', 'Referrer', r.top_referrers)));
}

export const realtimeView: View = {
  name: 'realtime',
  title: 'Realtime',
  async render(ctx, root, signal) {
    const main = panel('Realtime', 'realtime');
    const updated = h('span', { class: 'range', id: 'realtime-updated' });
    main.section.querySelector('h2')?.append(updated);
    root.append(main.section);
    const load = () => ctx.api.get<Realtime>('reports/realtime', new URLSearchParams({ limit: '10' }));
    const once = async () => {
      await loadInto(main.body, load, draw, { signal });
      if (!signal.aborted) updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
    };
    await once();
    // Later polls redraw in place without the loading state flashing in between.
    const timer = setInterval(() => {
      if (document.hidden) return;
      load()
        .then((r) => {
          if (signal.aborted) return;
          main.body.replaceChildren();
          draw(r, main.body);
          updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
        })
        .catch(() => undefined); // keep the last numbers; the next poll tries again
    }, REALTIME_MS);
    signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  },
};
