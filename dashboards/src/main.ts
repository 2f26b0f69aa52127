/**
 * Tally's dashboard (served at /dashboard): sign-in with a read token, report settings in the
 * URL fragment, and the panels of views.ts fed by the report API.
 */
import {
  ApiError, clearSession, downloadCsv, EXPORT_TABLES, getJson, loadSession, saveSession, siteIdOf,
  type Overview, type Products, type Realtime, type Revenue, type Session,
} from './api.ts';
import { formatInteger } from './format.ts';
import { byId, h, showMessage } from './render.ts';
import {
  daysBetween, isDate, MAX_HOUR_DAYS, parseHash, presetRange, reportQuery, todayIn, toHash, type Interval, type Period, type ViewState,
} from './state.ts';
import { renderOverview, renderProducts, renderRevenue } from './views.ts';

/** Umami polls every 10 s, Plausible every 10–30 s: 15 s keeps the load light. */
const REALTIME_MS = 15_000;

let session: Session | undefined;
let state: ViewState;
let inFlight: AbortController | undefined;
let realtimeTimer: ReturnType<typeof setInterval> | undefined;

const el = {
  signIn: byId('sign-in'),
  signInForm: byId<HTMLFormElement>('sign-in-form'),
  token: byId<HTMLInputElement>('token'),
  signInError: byId('sign-in-error'),
  signInButton: byId<HTMLButtonElement>('sign-in-button'),
  dashboard: byId('dashboard'),
  signOut: byId<HTMLButtonElement>('sign-out'),
  siteLabel: byId('site-label'),
  period: byId<HTMLSelectElement>('period'),
  from: byId<HTMLInputElement>('from'),
  to: byId<HTMLInputElement>('to'),
  interval: byId<HTMLSelectElement>('interval'),
  tz: byId<HTMLSelectElement>('tz'),
  compare: byId<HTMLInputElement>('compare'),
  currency: byId<HTMLSelectElement>('currency'),
  status: byId('status'),
  error: byId('error'),
  revenueError: byId('revenue-error'),
  realtime: byId('realtime'),
  realtimeCount: byId('realtime-count'),
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

function showSignIn(message?: string): void {
  stopRealtime();
  inFlight?.abort();
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
    // One small report call checks the token and learns the site's zone (the API's default tz).
    const probe = await getJson<Overview>({ token, siteId }, 'reports/overview', new URLSearchParams({ limit: '1', interval: 'month' }));
    session = { token, siteId, siteTz: probe.range.tz };
    saveSession(session);
    el.token.value = '';
    showDashboard();
  } catch (error) {
    showSignIn(error instanceof ApiError ? `Sign-in failed: ${error.message}` : String(error));
  } finally {
    el.signInButton.disabled = false;
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
  let interval = el.interval.value as Interval | '';
  if (interval === 'hour' && daysBetween(range.from, range.to) > MAX_HOUR_DAYS) interval = '';
  const next: ViewState = { period, ...range, interval, tz, compare: el.compare.checked, currency: el.currency.value };
  const hash = toHash(next);
  if (hash === location.hash) void refresh();
  else location.hash = hash;
}

function readHash(): void {
  state = parseHash(location.hash, todayIn, session?.siteTz ?? 'UTC');
  syncControls();
}

// ---- reports ------------------------------------------------------------------------------------

function handleError(error: unknown, target: HTMLElement): void {
  // Aborted (a newer view or a sign-out) or already signed out by a sibling request: nothing to say.
  if ((error as Error).name === 'AbortError' || !session) return;
  if (error instanceof ApiError && error.signsOut) {
    signOut(`Signed out: ${error.message}`);
    return;
  }
  showMessage(target, error instanceof ApiError ? error.message : `Unexpected error: ${String(error)}`);
}

async function refresh(): Promise<void> {
  if (!session) return;
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  const s = session;
  const { signal } = controller;
  showMessage(el.error, undefined);
  showMessage(el.revenueError, undefined);
  el.status.textContent = 'Loading…';
  el.dashboard.setAttribute('aria-busy', 'true');
  const compare: Record<string, string> = state.compare ? { compare: 'previous' } : {};
  const currency: Record<string, string> = state.currency ? { currency: state.currency } : {};
  const overview = getJson<Overview>(s, 'reports/overview', reportQuery(state, { ...compare, limit: '10' }), signal)
    .then(renderOverview)
    .catch((e: unknown) => handleError(e, el.error));
  const revenue = getJson<Revenue>(s, 'reports/revenue', reportQuery(state, { ...compare, ...currency, limit: '10' }), signal)
    .then(renderRevenue)
    .catch((e: unknown) => handleError(e, el.revenueError));
  const query = reportQuery(state, { ...currency, limit: '10' });
  query.delete('interval');
  const products = getJson<Products>(s, 'reports/products', query, signal)
    .then(renderProducts)
    .catch((e: unknown) => handleError(e, el.revenueError));
  await Promise.all([overview, revenue, products]);
  if (inFlight !== controller || !session) return;
  el.dashboard.removeAttribute('aria-busy');
  el.status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
}

async function pollRealtime(): Promise<void> {
  if (!session || document.hidden) return;
  try {
    const r = await getJson<Realtime>(session, 'reports/realtime', new URLSearchParams({ limit: '1' }));
    el.realtimeCount.textContent = formatInteger(r.active_visitors);
    el.realtime.title = `${formatInteger(r.active_visitors)} visitors and ${formatInteger(r.pageviews)} pageviews in the last ${r.window_seconds / 60} minutes`;
    el.realtime.hidden = false;
  } catch (error) {
    if (error instanceof ApiError && error.signsOut && session) signOut(`Signed out: ${error.message}`);
    // Other failures: keep the last count; the next poll tries again.
  }
}

function startRealtime(): void {
  stopRealtime();
  void pollRealtime();
  realtimeTimer = setInterval(() => void pollRealtime(), REALTIME_MS);
}

function stopRealtime(): void {
  if (realtimeTimer !== undefined) clearInterval(realtimeTimer);
  realtimeTimer = undefined;
}

function renderExports(): void {
  byId('exports').replaceChildren(
    ...EXPORT_TABLES.map((table) => {
      const button = h('button', { type: 'button', class: 'secondary', 'data-table': table }, `${table}.csv`);
      button.addEventListener('click', () => {
        if (!session) return;
        const status = byId('export-status');
        status.textContent = `Preparing ${table}.csv…`;
        button.disabled = true;
        const q = reportQuery(state);
        q.delete('interval');
        downloadCsv(session, table, q)
          .then((bytes) => (status.textContent = `${table}.csv downloaded (${formatInteger(bytes)} bytes).`))
          .catch((e: unknown) => {
            status.textContent = '';
            handleError(e, el.error);
          })
          .finally(() => (button.disabled = false));
      });
      return h('li', {}, button);
    }),
  );
}

function showDashboard(): void {
  if (!session) return;
  el.signIn.hidden = true;
  el.dashboard.hidden = false;
  el.signOut.hidden = false;
  el.siteLabel.hidden = false;
  el.siteLabel.textContent = `Site ${session.siteId}`;
  readHash();
  if (!location.hash) history.replaceState(null, '', toHash(state));
  void refresh();
  startRealtime();
  byId('main').focus();
}

function start(): void {
  fillSelect(el.tz, ['UTC', ...supported('timeZone').filter((z) => z !== 'UTC')]);
  fillSelect(el.currency, supported('currency'));
  renderExports();
  el.signInForm.addEventListener('submit', (e) => void signIn(e));
  el.signOut.addEventListener('click', () => signOut());
  for (const control of [el.period, el.from, el.to, el.interval, el.tz, el.compare, el.currency]) {
    control.addEventListener('change', applyControls);
  }
  byId<HTMLFormElement>('controls').addEventListener('submit', (e) => e.preventDefault());
  window.addEventListener('hashchange', () => {
    if (!session) return;
    readHash();
    void refresh();
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) void pollRealtime();
  });
  session = loadSession();
  if (session) showDashboard();
  else showSignIn();
}

start();
