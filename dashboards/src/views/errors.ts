/**
 * Errors (contract §4.4): JavaScript errors grouped into issues — GET /errors over the chosen
 * dates, one status at a time (`status=open|resolved|ignored` in the fragment, open by default).
 * Each group shows its kind and message, where it was thrown, a "regressed" badge when it came
 * back after being resolved, its count, visitors and sessions in the range, first and last seen
 * (ever, in the report's zone, as the API writes them), its browsers, and the latest sample stack
 * in a <details>. Resolve / ignore / reopen PATCH the group (write scope): a read-only sign-in or a
 * share link sees them disabled with the reason, not a 403 after the click.
 */
import { canWrite, type Session } from '../api.ts';
import { multiBarChart } from '../charts.ts';
import type { ErrorGroup } from '../../../src/reports/errors/report.ts';
import { formatInteger } from '../format.ts';
import { h, type Column } from '../render.ts';
import { chartFigure, dataTable, errorBox, errorText, isAbort, loadInto, panel } from '../ui.ts';
import type { View, ViewContext } from './context.ts';

const STATUSES = ['open', 'resolved', 'ignored'] as const;
type Status = (typeof STATUSES)[number];

/** The actions offered for a group in each status. */
const ACTIONS: Record<Status, { to: Status; label: string }[]> = {
  open: [{ to: 'resolved', label: 'Resolve' }, { to: 'ignored', label: 'Ignore' }],
  resolved: [{ to: 'open', label: 'Reopen' }, { to: 'ignored', label: 'Ignore' }],
  ignored: [{ to: 'open', label: 'Reopen' }],
};

/** Groups drawn in the chart: the most frequent (the table lists them all). */
const CHART_GROUPS = 10;

export const READ_ONLY_REASON = 'Changing a status needs a token with write or admin scope; this sign-in is read-only.';

/** "2026-12-03T10:04:05+01:00" → "2026-12-03 10:04" (the API's local time, not moved into the browser's zone). */
function localTime(t: string): string {
  return `${t.slice(0, 10)} ${t.slice(11, 16)}`;
}

function statusOf(ctx: ViewContext): Status {
  const s = ctx.params.get('status');
  return (STATUSES as readonly string[]).includes(s ?? '') ? (s as Status) : 'open';
}

function statusPicker(ctx: ViewContext, current: Status): HTMLElement {
  const select = h('select', { id: 'error-status', name: 'status' }, ...STATUSES.map((s) => h('option', { value: s, selected: s === current }, s[0]!.toUpperCase() + s.slice(1))));
  select.addEventListener('change', () => ctx.setParams({ status: select.value === 'open' ? undefined : select.value }));
  return h('div', { class: 'field inline' }, h('label', { for: 'error-status' }, 'Status'), select);
}

function groupRow(g: ErrorGroup, session: Session, act: (g: ErrorGroup, to: Status, note: HTMLElement) => void): HTMLTableRowElement {
  const where = g.file ? `${g.file}${g.line !== null ? `:${g.line}` : ''}` : '';
  const note = h('p', { class: 'row-note', role: 'status' });
  const writable = canWrite(session);
  const buttons = ACTIONS[g.status].map(({ to, label }) => {
    const b = h('button', {
      type: 'button', class: 'secondary small', 'data-action': to, disabled: !writable,
      title: writable ? `${label} this error` : READ_ONLY_REASON, 'aria-describedby': writable ? undefined : 'errors-read-only',
    }, label);
    b.addEventListener('click', () => act(g, to, note));
    return b;
  });
  const message = h(
    'th',
    { scope: 'row', class: 'error-message' },
    h('span', { class: 'error-kind' }, g.kind ?? 'Error'),
    g.regressed && h('span', { class: 'badge regressed', title: 'Resolved before, and it happened again after that' }, 'regressed'),
    h('span', { class: 'error-text' }, g.message),
    where && h('code', { class: 'error-where' }, where),
    g.stack && h('details', { class: 'stack' }, h('summary', {}, 'Sample stack'), h('pre', {}, g.stack)),
  );
  const browsers = g.browsers.map((b) => `${b.key} ${formatInteger(b.count)}`).join(', ');
  return h(
    'tr',
    { 'data-error-id': g.id, 'data-status': g.status },
    message,
    h('td', { class: 'num', 'data-col': 'count' }, formatInteger(g.count)),
    h('td', { class: 'num', 'data-col': 'visitors' }, formatInteger(g.visitors)),
    h('td', { class: 'num', 'data-col': 'sessions' }, formatInteger(g.sessions)),
    h('td', { 'data-col': 'first_seen' }, localTime(g.first_seen)),
    h('td', { 'data-col': 'last_seen' }, localTime(g.last_seen)),
    h('td', { 'data-col': 'browsers' }, browsers),
    h('td', { class: 'actions' }, h('div', { class: 'buttons' }, ...buttons), note),
  );
}

function drawChart(groups: ErrorGroup[], body: HTMLElement): void {
  const top = groups.slice(0, CHART_GROUPS);
  const label = (g: ErrorGroup) => `${g.kind ?? 'Error'}: ${g.message}`.slice(0, 60);
  const fig = chartFigure(`Occurrences of the ${top.length} most frequent errors in the range`, 'Most frequent errors as a table');
  multiBarChart(fig.canvas, top.map(label), [{ label: 'Occurrences', values: top.map((g) => g.count) }, { label: 'Visitors', values: top.map((g) => g.visitors) }], {
    horizontal: true, format: formatInteger,
  });
  const cols: Column<ErrorGroup>[] = [
    { label: 'Error', value: label },
    { label: 'Occurrences', value: (g) => formatInteger(g.count), numeric: true },
    { label: 'Visitors', value: (g) => formatInteger(g.visitors), numeric: true },
  ];
  fig.table.append(dataTable(cols, top, { caption: 'Most frequent errors' }));
  body.append(fig.node);
}

export const errorsView: View = {
  name: 'errors',
  title: 'Errors',
  async render(ctx, root, signal) {
    const status = statusOf(ctx);
    const list = panel(`Errors: ${status}`, 'errors');
    list.head.append(statusPicker(ctx, status));
    const chart = panel('Most frequent', 'errors-chart');
    root.append(list.section, chart.section);
    const load = () => ctx.api.get<{ errors: ErrorGroup[] }>('errors', ctx.query({ status, limit: '200' }));

    const act = (g: ErrorGroup, to: Status, note: HTMLElement) => {
      const row = note.closest('tr');
      for (const b of row?.querySelectorAll('button') ?? []) b.disabled = true;
      note.textContent = 'Saving…';
      ctx.api
        .send<ErrorGroup>('PATCH', `errors/${encodeURIComponent(g.id)}`, { status: to })
        .then(() => void draw()) // the group moved to another status: this list no longer has it
        .catch((error: unknown) => {
          if (isAbort(error)) return;
          note.replaceChildren(errorBox(errorText(error)));
          for (const b of row?.querySelectorAll('button') ?? []) b.disabled = false;
        });
    };

    const drawList = (data: { errors: ErrorGroup[] }, body: HTMLElement) => {
      const writable = canWrite(ctx.session);
      body.append(
        ...(writable ? [] : [h('p', { class: 'help', id: 'errors-read-only' }, READ_ONLY_REASON)]),
        h(
          'div',
          { class: 'scroll' },
          h(
            'table',
            { class: 'errors' },
            h('caption', {}, `${formatInteger(data.errors.length)} ${status} error groups, most frequent first`),
            h('thead', {}, h('tr', {}, ...['Error', 'Count', 'Visitors', 'Sessions', 'First seen', 'Last seen', 'Browsers', 'Actions'].map((c, i) =>
              h('th', { scope: 'col', class: i >= 1 && i <= 3 ? 'num' : undefined }, c)))),
            h('tbody', {}, ...data.errors.map((g) => groupRow(g, ctx.session, act))),
          ),
        ),
      );
    };

    const draw = async () => {
      const report = load();
      const emptyText = `No ${status} errors in this range`;
      await Promise.all([
        loadInto(list.body, () => report, drawList, { signal, isEmpty: (d) => d.errors.length === 0, emptyText }),
        loadInto(chart.body, () => report, (d, body) => drawChart(d.errors, body), { signal, isEmpty: (d) => d.errors.length === 0, emptyText }),
      ]);
    };
    await draw();
  },
};
