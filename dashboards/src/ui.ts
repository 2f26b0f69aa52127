/**
 * The pieces every view is built from, so each view gets the same loading, empty and error
 * states, and every chart its numbers as a table, without writing them again:
 *
 * - `panel(title)` — a titled `<section>` (the unit a view is made of);
 * - `loadInto(target, load, draw)` — "Loading…" while the request runs, "No data in this range"
 *   when `isEmpty` says so, the API's own message in place (role=alert) when it fails — never a
 *   page-wide alert, so one failing panel leaves the others readable;
 * - `dataTable(columns, rows)` — the HTML table that pairs with every chart (contract §9);
 * - `chartFigure(label)` — a canvas sized by CSS with its table under it in `<details>`.
 *
 * Everything is built with textContent (render.ts `h`): a string from the data is never parsed as
 * HTML, so `<img src=x onerror=alert(1)>` as an event name shows as those characters.
 */
import { ApiError } from './api.ts';
import { h, renderTable, type Column } from './render.ts';

export type { Column };

export const EMPTY_TEXT = 'No data in this range';

export interface Panel {
  section: HTMLElement;
  /** Where the panel's content goes (below the heading). */
  body: HTMLElement;
  /** Right of the heading, for a panel's own controls. */
  head: HTMLElement;
}

let panelSeq = 0;

/** A `<section class="panel" data-panel=key>` with an `<h2>` labelling it. */
export function panel(title: string, key?: string): Panel {
  const id = `panel-${++panelSeq}`;
  const head = h('div', { class: 'panel-tools' });
  const body = h('div', { class: 'panel-body' });
  const section = h(
    'section',
    { class: 'panel', 'aria-labelledby': id, 'data-panel': key },
    h('div', { class: 'panel-head' }, h('h2', { id }, title), head),
    body,
  );
  return { section, body, head };
}

export function loading(target: HTMLElement, text = 'Loading…'): void {
  target.setAttribute('aria-busy', 'true');
  target.replaceChildren(h('p', { class: 'state loading', role: 'status' }, text));
}

export function empty(target: HTMLElement, text = EMPTY_TEXT): void {
  target.removeAttribute('aria-busy');
  target.replaceChildren(h('p', { class: 'state empty' }, text));
}

/** The message of an error as a reader should see it (the API's `{error}` text for an ApiError). */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return `Unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}

export function errorBox(message: string): HTMLElement {
  return h('p', { class: 'error', role: 'alert' }, message);
}

export function showError(target: HTMLElement, error: unknown): void {
  target.removeAttribute('aria-busy');
  target.replaceChildren(errorBox(errorText(error)));
}

export function isAbort(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'AbortError';
}

export interface LoadOptions<T> {
  /** Data that should show the empty state instead of `draw` (e.g. no rows). */
  isEmpty?: (data: T) => boolean;
  emptyText?: string;
  signal?: AbortSignal;
}

/**
 * Runs `load` with the loading state in `target`, then draws, shows the empty state, or shows the
 * error in place. Never rejects: a view awaits all its panels and then counts as settled. An
 * aborted load (the view changed) leaves the target alone.
 */
export async function loadInto<T>(
  target: HTMLElement,
  load: () => Promise<T>,
  draw: (data: T, target: HTMLElement) => void,
  options: LoadOptions<T> = {},
): Promise<void> {
  loading(target);
  try {
    const data = await load();
    if (options.signal?.aborted) return;
    if (options.isEmpty?.(data)) {
      empty(target, options.emptyText);
      return;
    }
    target.replaceChildren();
    target.removeAttribute('aria-busy');
    draw(data, target);
  } catch (error) {
    if (isAbort(error) || options.signal?.aborted) return;
    showError(target, error);
  }
}

export interface TableOptions<T> {
  caption?: string;
  /** 0..1 per row: a bar behind the first cell (top lists). */
  share?: (row: T) => number;
  empty?: string;
}

/** A captioned table, first column as row headers, horizontally scrollable on a narrow screen. */
export function dataTable<T>(columns: Column<T>[], rows: T[], options: TableOptions<T> = {}): HTMLElement {
  return h('div', { class: 'scroll' }, renderTable(options.caption ?? '', columns, rows, options.share, options.empty ?? EMPTY_TEXT));
}

export interface Figure {
  /** The chart and its table, to append where the chart goes. */
  node: HTMLElement;
  canvas: HTMLCanvasElement;
  /** Put the chart's numbers here (`dataTable(...)`). */
  table: HTMLElement;
}

/**
 * A chart canvas (role=img with `label` as its accessible name) and, under it, its numbers in a
 * `<details>` table — a chart is never the only place a number is.
 */
export function chartFigure(label: string, tableSummary = 'Show as a table', id?: string): Figure {
  const canvas = h('canvas', { role: 'img', 'aria-label': label, id });
  const table = h('div', { class: 'figure-table' });
  const node = h(
    'div',
    { class: 'figure' },
    h('div', { class: 'chart' }, canvas),
    h('details', { class: 'data' }, h('summary', {}, tableSummary), table),
  );
  return { node, canvas, table };
}

/** A `<ul class="cards">` for renderCards. */
export function cardList(id?: string): HTMLUListElement {
  return h('ul', { class: 'cards', id });
}
