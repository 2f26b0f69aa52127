/**
 * What a view is and what it is given. A view module exports one `View`; the shell (main.ts)
 * builds a fresh `ViewContext` each time the fragment changes and calls `render` with an empty
 * root and an AbortSignal that fires when the reader moves on (another view, other dates, sign
 * out) — pass it on, and stop timers on it.
 *
 * A view reads the shared controls from `ctx.state` (dates, zone, interval, currency: the report
 * query is `ctx.query()`), its own fragment parameters from `ctx.params`, and changes them with
 * `ctx.setParams` (which re-renders it). It talks to the API through `ctx.api` only: a token that
 * stops working signs the reader out there, and every other API error is the view's to show in
 * place (`ui.loadInto` does that).
 */
import type { Method, Session } from '../api.ts';
import type * as charts from '../charts.ts';
import type * as format from '../format.ts';
import type * as render from '../render.ts';
import type { ViewName, ViewState } from '../state.ts';
import type * as ui from '../ui.ts';

export interface ApiClient {
  /** GET /api/v1/sites/{site}/<path>?<query>, with the view's signal. */
  get<T>(path: string, query?: URLSearchParams): Promise<T>;
  /** A JSON request with a body (needs a token with write scope for writes). */
  send<T>(method: Method, path: string, body?: unknown): Promise<T>;
  /** GET /export/{table}.csv saved as a download; answers its size in bytes. */
  downloadCsv(table: string, query: URLSearchParams): Promise<number>;
}

export interface ViewContext {
  session: Session;
  /** The shared controls, as in the fragment. */
  state: ViewState;
  /** The view's own fragment parameters (a copy: change them with setParams). */
  params: URLSearchParams;
  /** Sets (or, with undefined, removes) the view's own parameters in the fragment; the view re-renders. */
  setParams(next: Record<string, string | undefined>): void;
  /** The fragment of another view with the same shared controls (for links between views). */
  hrefOf(view: ViewName, params?: Record<string, string>): string;
  api: ApiClient;
  /** The report query of the shared controls (from, to, tz and interval when chosen, currency when chosen) plus `extra`. */
  query(extra?: Record<string, string>): URLSearchParams;
  ui: typeof ui;
  charts: typeof charts;
  format: typeof format;
  /** `h` (element builder, textContent only), renderCards, renderTable. */
  dom: typeof render;
}

export interface View {
  name: ViewName;
  /** The navigation label and the page title. */
  title: string;
  /**
   * Draws the view into `root` (empty when called). Resolves once everything the view loads on
   * its own is shown — data, empty state or error: the browser tests wait for that.
   */
  render(ctx: ViewContext, root: HTMLElement, signal: AbortSignal): Promise<void>;
}
