/**
 * Tally's dashboard (served at /dashboard): the shell around the views. It signs in with a read
 * token, keeps the shared controls (dates, zone, interval, currency) and the current view in the
 * URL fragment, draws the navigation between views, and mounts the view of views/index.ts that the
 * fragment names — each view draws itself (views/*.ts) with the helpers of its ViewContext.
 */
import { ApiError, clearSession, downloadCsv, getJson, loadSession, saveSession, sendJson, siteIdOf, type Session } from './api.ts';
import { realtimeBadge } from './badge.ts';
import * as charts from './charts.ts';
import * as format from './format.ts';
import * as render from './render.ts';
import { probeSession, refusedMessage, SHARE_REVOKED, takeShareToken } from './session.ts';
import { byId, h, showMessage } from './render.ts';
import {
  daysBetween, isDate, MAX_HOUR_DAYS, parseHash, parseRoute, presetRange, reportQuery, todayIn, toHash,
  type Interval, type Period, type Route, type ViewName, type ViewState,
} from './state.ts';
import * as ui from './ui.ts';
import type { ApiClient, ViewContext } from './views/context.ts';
import { VIEW_LIST, VIEWS } from './views/index.ts';

let session: Session | undefined;
let state: ViewState;
let route: Route = { view: 'overview', params: new URLSearchParams() };
let mounted: { key: string; controller: AbortController } | undefined;
/** Each view's own parameters as last seen, so the navigation returns to the same funnel, page… */
const lastParams = new Map<ViewName, URLSearchParams>();

const badge = realtimeBadge({
  session: () => session,
  refused: (error) => signOut(refusedMessage(error, session?.shared)),
});

const el = {
  signIn: byId('sign-in'),
  signInForm: byId<HTMLFormElement>('sign-in-form'),
  token: byId<HTMLInputElement>('token'),
  signInError: byId('sign-in-error'),
  signInButton: byId<HTMLButtonElement>('sign-in-button'),
  dashboard: byId('dashboard'),
  signOut: byId<HTMLButtonElement>('sign-out'),
  siteLabel: byId('site-label'),
  nav: byId('views'),
  period: byId<HTMLSelectElement>('period'),
  from: byId<HTMLInputElement>('from'),
  to: byId<HTMLInputElement>('to'),
  interval: byId<HTMLSelectElement>('interval'),
  tz: byId<HTMLSelectElement>('tz'),
  compare: byId<HTMLInputElement>('compare'),
  currency: byId<HTMLSelectElement>('currency'),
  status: byId('status'),
  error: byId('error'),
  view: byId('view'),
  realtime: byId('realtime'),
};

function fillSelect(select: HTMLSelectElement, values: string[]): void {
  select.append(...values.map((v) => h('option', { value: v }, v)));
}

function supported(key: 'timeZone' | 'currency'): string[] {
  try {
    return Intl.supportedValuesOf(key);
  } catch {
    return [];
  }
}

// ---- sign-in ----------------------------------------------------------------------------------

function unmount(): void {
  mounted?.controller.abort();
  mounted = undefined;
}

function showSignIn(message?: string): void {
  badge.stop();
  unmount();
  el.view.replaceChildren();
  charts.destroyDetachedCharts();
  el.dashboard.hidden = true;
  el.signOut.hidden = true;
  el.siteLabel.hidden = true;
  el.realtime.hidden = true;
  el.signIn.hidden = false;
  showMessage(el.signInError, message);
  el.token.setAttribute('aria-invalid', message ? 'true' : 'false');
  el.token.focus();
}

function signOut(message?: string): void {
  clearSession();
  session = undefined;
  showSignIn(message);
}

async function signIn(event: Event): Promise<void> {
  event.preventDefault();
  const token = el.token.value.trim();
  const siteId = siteIdOf(token);
  if (!siteId) {
    showSignIn(token ? 'That is not a Tally API token: tokens look like tly_<site id>_<43 characters>.' : 'Paste a token with read scope.');
    return;
  }
  el.signInButton.disabled = true;
  showMessage(el.signInError, undefined);
  try {
    session = await probeSession(token, siteId, false);
    saveSession(session);
    el.token.value = '';
    showDashboard();
  } catch (error) {
    showSignIn(error instanceof ApiError ? `Sign-in failed: ${error.message}` : String(error));
  } finally {
    el.signInButton.disabled = false;
  }
}

async function openShareLink(token: string): Promise<void> {
  const siteId = siteIdOf(token);
  clearSession();
  session = undefined;
  if (!siteId) {
    showSignIn('This share link is incomplete (was it cut short when copied?). Ask whoever shared it for the link again, or sign in with a token.');
    return;
  }
  el.signIn.hidden = true;
  try {
    session = await probeSession(token, siteId, true);
    saveSession(session);
    showDashboard();
  } catch (error) {
    showSignIn(error instanceof ApiError ? (error.status === 401 ? SHARE_REVOKED : `The share link could not be opened: ${error.message}`) : String(error));
  }
}

// ---- view state ---------------------------------------------------------------------------------

function syncControls(): void {
  el.period.value = state.period;
  el.from.value = state.from;
  el.to.value = state.to;
  byId('custom-from-field').hidden = state.period !== 'custom';
  byId('custom-to-field').hidden = state.period !== 'custom';
  const long = daysBetween(state.from, state.to) > MAX_HOUR_DAYS;
  const hour = el.interval.querySelector<HTMLOptionElement>('option[value="hour"]');
  if (hour) hour.disabled = long;
  el.interval.value = state.interval;
  el.tz.value = state.tz;
  el.compare.checked = state.compare;
  if (state.currency && !el.currency.querySelector(`option[value="${state.currency}"]`)) fillSelect(el.currency, [state.currency]);
  el.currency.value = state.currency;
  const siteOption = el.tz.querySelector<HTMLOptionElement>('option[value=""]');
  if (siteOption && session) siteOption.textContent = `Site time zone (${session.siteTz})`;
}

function hrefOf(view: ViewName, params?: URLSearchParams): string {
  return toHash(state, { view, params: params ?? lastParams.get(view) ?? new URLSearchParams() });
}

/** The `<nav>`: plain links (Tab / Enter, middle-click opens a view in a new tab), aria-current on the shown one. */
function renderNav(): void {
  if (el.nav.childElementCount === 0) {
    el.nav.append(h('ul', {}, ...VIEW_LIST.map((v) => h('li', {}, h('a', { href: '#', 'data-view': v.name }, v.title)))));
  }
  for (const a of el.nav.querySelectorAll<HTMLAnchorElement>('a[data-view]')) {
    const name = a.dataset.view as ViewName;
    a.href = hrefOf(name, name === route.view ? route.params : undefined);
    if (name === route.view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

/** Reads the controls into a new state and puts it in the fragment (hashchange redraws). */
function applyControls(): void {
  const period = el.period.value as Period;
  const tz = el.tz.value;
  let range = { from: state.from, to: state.to };
  if (period !== 'custom') range = presetRange(period, todayIn(tz || session?.siteTz || 'UTC'));
  else if (isDate(el.from.value) && isDate(el.to.value)) range = { from: el.from.value, to: el.to.value };
  if (range.from > range.to) {
    showMessage(el.error, '“From” must not be after “To”.');
    return;
  }
  showMessage(el.error, undefined);
  let interval = el.interval.value as Interval | '';
  if (interval === 'hour' && daysBetween(range.from, range.to) > MAX_HOUR_DAYS) interval = '';
  const next: ViewState = { period, ...range, interval, tz, compare: el.compare.checked, currency: el.currency.value };
  const hash = toHash(next, route);
  if (hash === location.hash) mountView(true);
  else location.hash = hash;
}

/** Reads the fragment, writes back its canonical form (unknown view → overview, dates made explicit). */
function readHash(): void {
  state = parseHash(location.hash, todayIn, session?.siteTz ?? 'UTC');
  route = parseRoute(location.hash);
  lastParams.set(route.view, route.params);
  const canonical = toHash(state, route);
  if (canonical !== location.hash) history.replaceState(null, '', canonical);
  syncControls();
  renderNav();
}

// ---- views --------------------------------------------------------------------------------------

function apiClient(s: Session, signal: AbortSignal): ApiClient {
  const guard = <T>(p: Promise<T>): Promise<T> =>
    p.catch((error: unknown) => {
      // The token stopped working (revoked, expired, other site): back to sign-in, whichever view asked.
      if (error instanceof ApiError && error.signsOut && session === s) signOut(refusedMessage(error, s.shared));
      throw error;
    });
  return {
    get: <T>(path: string, query?: URLSearchParams) => guard(getJson<T>(s, path, query, signal)),
    send: <T>(method: Parameters<typeof sendJson>[1], path: string, body?: unknown) => guard(sendJson<T>(s, method, path, body, signal)),
    downloadCsv: (table: string, query: URLSearchParams) => guard(downloadCsv(s, table, query)),
  };
}

function contextFor(s: Session, signal: AbortSignal): ViewContext {
  const params = new URLSearchParams(route.params);
  return {
    session: s,
    state: { ...state },
    params,
    setParams(next) {
      const p = new URLSearchParams(params);
      for (const [k, v] of Object.entries(next)) {
        if (v === undefined) p.delete(k);
        else p.set(k, v);
      }
      location.hash = toHash(state, { view: route.view, params: p });
    },
    hrefOf: (view, p) => hrefOf(view, p ? new URLSearchParams(p) : undefined),
    api: apiClient(s, signal),
    query: (extra = {}) => reportQuery(state, { ...(state.currency ? { currency: state.currency } : {}), ...extra }),
    ui,
    charts,
    format,
    dom: render,
  };
}

/** (Re)draws the view of the fragment; a fragment that did not change keeps the view as it is. */
function mountView(force = false): void {
  if (!session) return;
  const key = toHash(state, route);
  if (!force && mounted?.key === key) return;
  unmount();
  const controller = new AbortController();
  mounted = { key, controller };
  const view = VIEWS[route.view];
  const root = el.view;
  root.replaceChildren();
  charts.destroyDetachedCharts();
  root.dataset.view = view.name;
  // A count of renders, so a test can wait for the render an action caused (not the one before it).
  root.dataset.render = String(Number(root.dataset.render ?? 0) + 1);
  root.dataset.status = 'loading';
  root.setAttribute('aria-busy', 'true');
  document.title = `${view.title} · Tally`;
  el.status.textContent = 'Loading…';
  const s = session;
  view
    .render(contextFor(s, controller.signal), root, controller.signal)
    .catch((error: unknown) => {
      if (!controller.signal.aborted && !ui.isAbort(error)) root.append(ui.errorBox(ui.errorText(error)));
    })
    .finally(() => {
      if (controller.signal.aborted || mounted?.controller !== controller) return;
      root.dataset.status = 'ready';
      root.removeAttribute('aria-busy');
      el.status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    });
}

function showDashboard(): void {
  if (!session) return;
  el.signIn.hidden = true;
  el.dashboard.hidden = false;
  el.signOut.hidden = false;
  el.siteLabel.hidden = false;
  el.siteLabel.textContent = session.shared ? `Site ${session.siteId} · shared view (read only)` : `Site ${session.siteId}`;
  readHash();
  mountView(true);
  badge.start();
  byId('main').focus();
}

function start(): void {
  fillSelect(el.tz, ['UTC', ...supported('timeZone').filter((z) => z !== 'UTC')]);
  fillSelect(el.currency, supported('currency'));
  el.signInForm.addEventListener('submit', (e) => void signIn(e));
  el.signOut.addEventListener('click', () => signOut());
  for (const control of [el.period, el.from, el.to, el.interval, el.tz, el.compare, el.currency]) {
    control.addEventListener('change', applyControls);
  }
  byId<HTMLFormElement>('controls').addEventListener('submit', (e) => e.preventDefault());
  window.addEventListener('hashchange', () => {
    const shared = takeShareToken(); // a share link pasted into this tab
    if (shared !== undefined) {
      void openShareLink(shared);
      return;
    }
    if (!session) return;
    readHash();
    mountView();
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) badge.poll();
  });
  const shared = takeShareToken();
  if (shared !== undefined) {
    void openShareLink(shared);
    return;
  }
  session = loadSession();
  if (session) showDashboard();
  else showSignIn();
}

start();
