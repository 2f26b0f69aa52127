/**
 * Funnels: pick a saved funnel (GET …/funnels, its report GET …/funnels/{id}/report) or build one
 * (funnel-builder.ts; POST …/reports/funnel), see each step's count as bars with conversion,
 * drop-off and time to convert in the table, a breakdown as grouped bars, save a built funnel
 * (write scope), and download the people who dropped off at a step as CSV (a saved funnel's
 * people.csv, or the ad-hoc report's `people` for a built one). Fragment parameters: `funnel`
 * (a saved id), `def` (a built definition, JSON), `breakdown`.
 */
import { canWrite } from '../api.ts';
import type { FunnelReport, StepReport } from '../../../src/reports/funnel/report.ts';
import type { FunnelDefinition } from '../../../src/reports/funnel/schema.ts';
import type { SavedFunnel } from '../../../src/reports/funnel/saved.ts';
import { groupedBarChart, multiBarChart } from '../charts.ts';
import { formatDuration, formatInteger, formatPercent } from '../format.ts';
import { h, type Column } from '../render.ts';
import { chartFigure, dataTable, errorBox, errorText, loadInto, panel } from '../ui.ts';
import type { View, ViewContext } from './context.ts';
import { DEFAULT_DEFINITION, funnelBuilder, parseDefinition, stepText } from './funnel-builder.ts';

const BREAKDOWNS = [['', 'No breakdown'], ['channel', 'Channel'], ['device', 'Device'], ['country', 'Country'], ['browser', 'Browser'], ['utm_source', 'UTM source'], ['utm_campaign', 'UTM campaign']] as const;
const PEOPLE_LIMIT = 10_000;

const time = (s: number | null) => (s === null ? '–' : formatDuration(s));

function stepColumns(): Column<StepReport>[] {
  return [
    { label: 'Step', value: (s) => `${s.index + 1}. ${s.label}` },
    { label: 'Count', value: (s) => formatInteger(s.count), numeric: true },
    { label: 'From start', value: (s) => formatPercent(s.conversion_from_start), numeric: true },
    { label: 'From previous', value: (s) => (s.conversion_from_previous === null ? '–' : formatPercent(s.conversion_from_previous)), numeric: true },
    { label: 'Dropped off', value: (s) => formatInteger(s.dropoff), numeric: true },
    { label: 'Median time', value: (s) => time(s.median_seconds_from_previous), numeric: true },
    { label: 'Average time', value: (s) => time(s.avg_seconds_from_previous), numeric: true },
  ];
}

function csvCell(v: string | null | undefined): string {
  const s = v ?? '';
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function saveBlob(name: string, blob: Blob): void {
  const href = URL.createObjectURL(blob);
  const a = h('a', { href, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}

/** The people who reached step−1 but not `step`, as CSV (the same columns as people.csv). */
async function downloadDropped(ctx: ViewContext, step: number, saved: SavedFunnel | undefined, body: () => Record<string, unknown>): Promise<void> {
  const range = rangeQuery(ctx);
  if (saved) {
    const q = new URLSearchParams([...range, ['step', String(step)], ['outcome', 'dropped']]);
    const res = await fetch(`/api/v1/sites/${encodeURIComponent(ctx.session.siteId)}/funnels/${encodeURIComponent(saved.id)}/people.csv?${q}`, {
      headers: { authorization: `Bearer ${ctx.session.token}` }, cache: 'no-store',
    });
    if (!res.ok) throw new Error(((await res.json().catch(() => ({}))) as { error?: string }).error ?? `${res.status}`);
    saveBlob(`funnel-${saved.id}-step${step}-dropped.csv`, await res.blob());
    return;
  }
  const r = await ctx.api.send<FunnelReport>('POST', 'reports/funnel', { ...body(), people: { step, outcome: 'dropped', limit: PEOPLE_LIMIT } });
  const lines = ['visitor_id,session_id,customer_id,entered_at', ...(r.people ?? []).map((p) => [p.visitor_id, p.session_id, p.customer_id, p.entered_at].map(csvCell).join(','))];
  saveBlob(`funnel-step${step}-dropped.csv`, new Blob([`${lines.join('\n')}\n`], { type: 'text/csv' }));
}

function drawSteps(r: FunnelReport, body: HTMLElement, ctx: ViewContext, saved: SavedFunnel | undefined, request: () => Record<string, unknown>): void {
  body.append(h('ul', { class: 'cards' },
    h('li', { class: 'card', 'data-metric': 'entered' }, h('span', { class: 'label' }, 'Entered'), h('span', { class: 'value' }, formatInteger(r.entered))),
    h('li', { class: 'card', 'data-metric': 'completed' }, h('span', { class: 'label' }, 'Completed'), h('span', { class: 'value' }, formatInteger(r.completed))),
    h('li', { class: 'card', 'data-metric': 'conversion' }, h('span', { class: 'label' }, 'Conversion'),
      h('span', { class: 'value' }, formatPercent(r.steps.at(-1)?.conversion_from_start ?? 0)))));
  const fig = chartFigure('Units reaching each step', 'Steps as a table', 'funnel-chart');
  multiBarChart(fig.canvas, r.steps.map((s) => `${s.index + 1}. ${s.label}`), [
    { label: 'Reached', values: r.steps.map((s) => s.count) },
    { label: 'Dropped off', values: r.steps.map((s) => s.dropoff), color: 'rgba(220, 38, 38, 0.55)' },
  ], { stacked: true, format: (n) => formatInteger(n) });
  fig.table.append(dataTable(stepColumns(), r.steps, { caption: 'Units per step' }));
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const table = dataTable(stepColumns(), r.steps, { caption: 'Conversion and drop-off per step' });
  table.id = 'funnel-steps';
  table.querySelector('thead tr')?.append(h('th', { scope: 'col' }, 'Dropped off people'));
  table.querySelectorAll('tbody tr').forEach((tr, i) => {
    const s = r.steps[i];
    if (!s || i === 0) {
      tr.append(h('td', {}, ''));
      return;
    }
    const b = h('button', { type: 'button', class: 'secondary small', 'data-download': String(i) }, 'CSV');
    b.setAttribute('aria-label', `Download the ${formatInteger(s.dropoff)} who dropped off before step ${i + 1} as CSV`);
    b.disabled = s.dropoff === 0;
    b.addEventListener('click', () => {
      b.disabled = true;
      status.textContent = 'Preparing the CSV…';
      downloadDropped(ctx, i, saved, request)
        .then(() => { status.textContent = `Downloaded the people who dropped off before step ${i + 1}.`; })
        .catch((error: unknown) => { status.replaceChildren(errorBox(errorText(error))); })
        .finally(() => { b.disabled = false; });
    });
    tr.append(h('td', {}, b));
  });
  body.append(fig.node, table, status);
  if (!r.breakdown?.length) return;
  const keys = r.breakdown.slice(0, 8);
  const bfig = chartFigure('Units reaching each step, by breakdown value', 'Breakdown as a table', 'funnel-breakdown-chart');
  groupedBarChart(bfig.canvas, r.steps.map((s) => `${s.index + 1}. ${s.label}`), keys.map((b) => ({ label: b.key, values: b.steps.map((s) => s.count) })), (n) => formatInteger(n));
  type Row = { key: string; steps: StepReport[] };
  const cols: Column<Row>[] = [
    { label: 'Value', value: (b) => b.key },
    ...r.steps.map((s, i): Column<Row> => ({ label: `${i + 1}. ${s.label}`, value: (b) => formatInteger(b.steps[i]?.count ?? 0), numeric: true })),
    { label: 'Conversion', value: (b) => formatPercent(b.steps.at(-1)?.conversion_from_start ?? 0), numeric: true },
  ];
  bfig.table.append(dataTable(cols, r.breakdown, { caption: 'Units per step by breakdown value' }));
  body.append(h('h3', {}, 'Breakdown'), bfig.node, h('div', { id: 'funnel-breakdown' }, dataTable(cols, r.breakdown, { caption: 'Per breakdown value' })));
}

function rangeQuery(ctx: ViewContext): URLSearchParams {
  const q = new URLSearchParams({ from: ctx.state.from, to: ctx.state.to });
  if (ctx.state.tz) q.set('tz', ctx.state.tz);
  return q;
}

function savePanel(ctx: ViewContext, def: FunnelDefinition): HTMLElement {
  const name = h('input', { type: 'text', id: 'funnel-name', placeholder: 'Checkout funnel', maxlength: '200' });
  const save = h('button', { type: 'button', id: 'funnel-save' }, 'Save funnel');
  const note = h('p', { class: 'help', role: 'status' });
  if (!canWrite(ctx.session)) {
    save.disabled = true;
    name.disabled = true;
    note.textContent = ctx.session.shared ? 'A share link is read-only: saving needs a token with write scope.' : 'Saving needs a token with write scope; this sign-in is read-only.';
  }
  save.addEventListener('click', () => {
    if (!name.value.trim()) {
      note.replaceChildren(errorBox('Name the funnel to save it.'));
      name.focus();
      return;
    }
    save.disabled = true;
    ctx.api.send<SavedFunnel>('POST', 'funnels', { name: name.value.trim(), ...def })
      .then((f) => ctx.setParams({ funnel: f.id, def: undefined }))
      .catch((error: unknown) => {
        note.replaceChildren(errorBox(errorText(error)));
        save.disabled = false;
      });
  });
  return h('div', { class: 'field-row save-funnel' }, h('div', { class: 'field inline' }, h('label', { for: 'funnel-name' }, 'Name'), name), save, note);
}

function picker(ctx: ViewContext, saved: SavedFunnel[], current: string | undefined, breakdown: string): HTMLElement {
  const select = h('select', { id: 'funnel-pick' }, h('option', { value: '' }, 'New funnel…'), ...saved.map((f) => h('option', { value: f.id }, f.name)));
  select.value = current ?? '';
  select.addEventListener('change', () => ctx.setParams({ funnel: select.value || undefined }));
  const by = h('select', { id: 'funnel-breakdown-by' }, ...BREAKDOWNS.map(([v, t]) => h('option', { value: v }, t)));
  by.value = breakdown;
  by.addEventListener('change', () => ctx.setParams({ breakdown: by.value || undefined }));
  return h('div', { class: 'field-row' },
    h('div', { class: 'field inline' }, h('label', { for: 'funnel-pick' }, 'Funnel'), select),
    h('div', { class: 'field inline' }, h('label', { for: 'funnel-breakdown-by' }, 'Breakdown'), by));
}

export const funnelsView: View = {
  name: 'funnels',
  title: 'Funnels',
  async render(ctx, root, signal) {
    const setup = panel('Funnel', 'funnel');
    const steps = panel('Steps', 'steps');
    root.append(setup.section, steps.section);
    let saved: SavedFunnel[] = [];
    try {
      saved = (await ctx.api.get<{ funnels: SavedFunnel[] }>('funnels')).funnels;
    } catch (error) {
      if (signal.aborted) return;
      setup.body.append(errorBox(errorText(error))); // the builder still works
    }
    if (signal.aborted) return;
    const breakdown = BREAKDOWNS.some(([v]) => v && v === ctx.params.get('breakdown')) ? ctx.params.get('breakdown')! : '';
    const wanted = ctx.params.get('funnel') ?? (ctx.params.has('def') ? undefined : saved[0]?.id);
    const current = saved.find((f) => f.id === wanted);
    setup.head.append(picker(ctx, saved, current?.id, breakdown));
    let request: () => Record<string, unknown>;
    let load: () => Promise<FunnelReport>;
    if (current) {
      const edit = h('button', { type: 'button', class: 'secondary' }, 'Edit as a new funnel');
      const { steps: s, window_seconds, order, unit } = current;
      edit.addEventListener('click', () => ctx.setParams({ funnel: undefined, def: JSON.stringify({ steps: s, window_seconds, order, unit }) }));
      setup.body.append(h('ol', { class: 'steps summary' }, ...current.steps.map((x) => h('li', {}, stepText(x)))),
        h('p', { class: 'help' }, `Within ${formatDuration(current.window_seconds)}, ${current.order}, counting ${current.unit}s.`), edit);
      const q = rangeQuery(ctx);
      if (breakdown) q.set('breakdown', breakdown);
      request = () => ({ steps: s, window_seconds, order, unit, ...Object.fromEntries(rangeQuery(ctx)) });
      load = () => ctx.api.get<FunnelReport>(`funnels/${encodeURIComponent(current.id)}/report`, q);
    } else {
      if (wanted) setup.body.append(errorBox(`No saved funnel ${wanted} on this site.`));
      const def = ctx.params.has('def') ? parseDefinition(ctx.params.get('def')) : structuredClone(DEFAULT_DEFINITION);
      setup.body.append(funnelBuilder(def, (d) => ctx.setParams({ funnel: undefined, def: JSON.stringify(d) })), savePanel(ctx, def));
      request = () => ({ ...def, ...Object.fromEntries(rangeQuery(ctx)), ...(breakdown ? { breakdown } : {}) });
      load = () => ctx.api.send<FunnelReport>('POST', 'reports/funnel', request());
    }
    await loadInto(steps.body, load, (r, body) => drawSteps(r, body, ctx, current, request), { signal, isEmpty: (r) => r.entered === 0 });
  },
};
