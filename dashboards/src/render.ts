/**
 * DOM building blocks: metric cards and plain tables (text content only — values from the API
 * such as page paths or referrers are never parsed as HTML).
 */
import { changeTone } from './format.ts';

type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name === 'class') node.className = String(value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} missing from the page`);
  return node as T;
}

export interface Card {
  metric: string;
  label: string;
  value: string;
  current: number;
  previous?: number | undefined;
  change?: string | undefined;
  lowerIsBetter?: boolean;
}

/** `<li data-metric>` cards: label, value, and the change against the previous period. */
export function renderCards(list: HTMLElement, cards: Card[]): void {
  list.replaceChildren(
    ...cards.map((c) => {
      const tone = changeTone(c.current, c.previous, c.lowerIsBetter);
      const word = tone === 'up' ? 'better' : tone === 'down' ? 'worse' : 'unchanged';
      return h(
        'li',
        { class: 'card', 'data-metric': c.metric },
        h('span', { class: 'label' }, c.label),
        h('span', { class: 'value' }, c.value),
        c.change !== undefined &&
          h('span', { class: `change ${tone}`, title: 'Change against the previous period of the same length' },
            h('span', { class: 'sr-only' }, `${word} than the previous period: `), c.change),
      );
    }),
  );
}

export interface Column<T> {
  label: string;
  value: (row: T) => string;
  numeric?: boolean;
}

/**
 * A table with a caption; the first column is the row header. `share` (0..1 per row) draws a
 * bar behind the first cell, as Plausible and Umami do, through the CSSOM (allowed by the CSP).
 */
export function renderTable<T>(caption: string, columns: Column<T>[], rows: T[], share?: (row: T) => number, empty = 'No data for these dates'): HTMLTableElement {
  const table = h(
    'table',
    {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col', class: c.numeric ? 'num' : undefined }, c.label)))),
  );
  const body = h('tbody');
  if (rows.length === 0) {
    body.append(h('tr', {}, h('td', { class: 'empty', colspan: String(columns.length) }, empty)));
  }
  for (const row of rows) {
    const cells = columns.map((c, i) => {
      const text = c.value(row);
      if (i > 0) return h('td', { class: c.numeric ? 'num' : undefined }, text);
      const th = h('th', { scope: 'row', title: text }, h('span', { class: 'key' }, text));
      if (share) {
        const bar = h('span', { class: 'bar', 'aria-hidden': 'true' });
        bar.style.width = `${Math.max(0, Math.min(1, share(row))) * 100}%`;
        th.prepend(bar);
      }
      return th;
    });
    body.append(h('tr', {}, ...cells));
  }
  table.append(body);
  return table;
}

export function showMessage(node: HTMLElement, message: string | undefined): void {
  node.textContent = message ?? '';
  node.hidden = !message;
}
