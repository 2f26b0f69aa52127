/**
 * Heatmaps: pick a page with data (GET /reports/heatmap/pages), a device and a kind, and see the
 * click density of GET /reports/heatmap (16 px cells of the document) drawn on a canvas over a
 * neutral outline of the page, the scroll-depth distribution as bars, and the most clicked
 * selectors — each with its numbers as a table. Fragment parameters: `url`, `device`, `kind`,
 * and `frame=1` to draw over the live page in an iframe.
 *
 * The live page is opt-in: it is another origin (the store), and the dashboard asks no other
 * origin anything unless the reader says so; a page that refuses framing (X-Frame-Options,
 * frame-ancestors) shows the browser's own refusal under the same canvas, the outline's size.
 * The outline is the device's usual layout width (or wider, to hold every point) and as tall as
 * the lowest point, since the report keeps no page sizes.
 */
import type { HeatmapPagesRow, HeatmapReport } from '../../../src/reports/heatmap/report.ts';
import { multiBarChart } from '../charts.ts';
import { formatInteger, formatPercent } from '../format.ts';
import { h, type Column } from '../render.ts';
import { chartFigure, dataTable, loadInto, panel } from '../ui.ts';
import type { View, ViewContext } from './context.ts';

const DEVICES = ['desktop', 'tablet', 'mobile'] as const;
const KINDS = [['click', 'Clicks'], ['rage', 'Rage clicks'], ['dead', 'Dead clicks']] as const;
const LAYOUT_WIDTH = { desktop: 1280, tablet: 768, mobile: 390 } as const;
const SELECTORS = 20;
/** The glow around a cell (px of the document), as heatmap.js draws it. */
const RADIUS = 28;

type Device = (typeof DEVICES)[number];

function pick<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

/** Blue → green → yellow → red by intensity 0..1 (the usual heatmap ramp). */
function ramp(t: number): [number, number, number] {
  const stops: [number, [number, number, number]][] = [[0, [0, 0, 255]], [0.35, [0, 200, 255]], [0.55, [0, 220, 0]], [0.8, [255, 220, 0]], [1, [255, 0, 0]]];
  for (let i = 1; i < stops.length; i++) {
    const [p1, c1] = stops[i]!;
    const [p0, c0] = stops[i - 1]!;
    if (t <= p1) {
      const f = (t - p0) / (p1 - p0);
      return [0, 1, 2].map((k) => Math.round(c0[k]! + f * (c1[k]! - c0[k]!))) as [number, number, number];
    }
  }
  return [255, 0, 0];
}

/** Density: each cell's glow as alpha (count / max), summed, then coloured by the ramp. */
export function drawDensity(canvas: HTMLCanvasElement, r: HeatmapReport, width: number, height: number): void {
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext('2d');
  if (!g) return;
  const max = Math.max(1, ...r.points.map((p) => p.count));
  for (const p of r.points) {
    const cx = p.x + r.cell / 2;
    const cy = p.y + r.cell / 2;
    const grad = g.createRadialGradient(cx, cy, 0, cx, cy, RADIUS);
    grad.addColorStop(0, `rgba(0,0,0,${Math.max(0.08, p.count / max)})`);
    grad.addColorStop(1, 'rgba(0,0,0,0)');
    g.fillStyle = grad;
    g.fillRect(cx - RADIUS, cy - RADIUS, 2 * RADIUS, 2 * RADIUS);
  }
  const img = g.getImageData(0, 0, width, height);
  const d = img.data;
  for (let i = 0; i < d.length; i += 4) {
    const a = d[i + 3]! / 255;
    if (a === 0) continue;
    const [cr, cg, cb] = ramp(Math.min(1, a));
    d[i] = cr;
    d[i + 1] = cg;
    d[i + 2] = cb;
    d[i + 3] = Math.round(Math.min(0.85, 0.25 + a) * 255);
  }
  g.putImageData(img, 0, 0);
}

function drawMap(r: HeatmapReport, body: HTMLElement, device: Device, frame: boolean): void {
  const width = Math.max(LAYOUT_WIDTH[device], ...r.points.map((p) => p.x + r.cell));
  const height = Math.max(600, ...r.points.map((p) => p.y + r.cell + RADIUS));
  const canvas = h('canvas', { class: 'heat-canvas', role: 'img', 'aria-label': `${formatInteger(r.total)} ${r.kind} points on ${r.url}, ${device}` });
  const stage = h('div', { class: `heat-stage${frame ? ' live' : ''}`, 'data-width': String(width), 'data-height': String(height) });
  stage.style.aspectRatio = `${width} / ${height}`;
  if (frame) {
    // Sandboxed: the store's page may run its own scripts but cannot navigate or reach this page.
    const iframe = h('iframe', { src: r.url, title: `The page ${r.url}`, sandbox: 'allow-scripts allow-same-origin', loading: 'lazy', referrerpolicy: 'no-referrer' });
    iframe.style.width = `${width}px`;
    iframe.style.height = `${height}px`;
    stage.append(iframe);
  } else {
    stage.append(h('div', { class: 'page-outline', 'aria-hidden': 'true' }, h('span', {}, `${r.url} — ${width} px wide`)));
  }
  stage.append(canvas);
  drawDensity(canvas, r, width, height);
  // The iframe is laid out at the page's own width and scaled to the stage, like the canvas.
  const fit = () => {
    const scale = stage.clientWidth / width;
    stage.style.setProperty('--scale', String(scale));
  };
  new ResizeObserver(fit).observe(stage);
  const cols: Column<HeatmapReport['points'][number]>[] = [
    { label: 'Cell (x, y)', value: (p) => `${p.x}, ${p.y}` },
    { label: 'Points', value: (p) => formatInteger(p.count), numeric: true },
    { label: 'Share', value: (p) => formatPercent(p.count / Math.max(1, r.total)), numeric: true },
  ];
  const top = [...r.points].sort((a, b) => b.count - a.count || a.y - b.y || a.x - b.x);
  body.append(
    h('p', { class: 'help' }, `${formatInteger(r.total)} ${r.kind} points in ${formatInteger(r.points.length)} cells of ${r.cell} × ${r.cell} px.`),
    stage,
    h('details', { class: 'data' }, h('summary', {}, 'Cells as a table'), h('div', { class: 'figure-table' },
      dataTable(cols, top, { caption: `Points per ${r.cell} px cell, most first` }))),
  );
}

function drawScroll(r: HeatmapReport, body: HTMLElement): void {
  const fig = chartFigure('Visitors whose scroll reached each depth', 'Scroll depth as a table', 'scroll-chart');
  multiBarChart(fig.canvas, r.scroll.map((s) => `${s.depth}%`), [{ label: 'Visitors', values: r.scroll.map((s) => s.visitors) }], { format: (n) => formatInteger(n) });
  const first = r.scroll[0]?.visitors ?? 0;
  fig.table.append(dataTable([
    { label: 'Depth reached', value: (s: HeatmapReport['scroll'][number]) => `${s.depth}%` },
    { label: 'Visitors', value: (s) => formatInteger(s.visitors), numeric: true },
    { label: 'Of those at 10%', value: (s) => (first ? formatPercent(s.visitors / first) : '–'), numeric: true },
  ], r.scroll, { caption: 'Visitors reaching each scroll depth' }));
  body.append(fig.node);
}

function drawSelectors(r: HeatmapReport, body: HTMLElement): void {
  const rows = r.selectors ?? [];
  const max = Math.max(1, ...rows.map((s) => s.count));
  body.append(dataTable([
    { label: 'Element', value: (s: { selector: string; count: number }) => s.selector },
    { label: 'Points', value: (s) => formatInteger(s.count), numeric: true },
  ], rows, { caption: `Most ${r.kind === 'click' ? 'clicked' : `${r.kind}-clicked`} elements`, share: (s) => s.count / max }));
}

function controls(ctx: ViewContext, pages: HeatmapPagesRow[], url: string, device: Device, kind: string, frame: boolean): HTMLElement {
  const select = (id: string, label: string, options: readonly (readonly [string, string])[], value: string, key: string) => {
    const s = h('select', { id, name: key }, ...options.map(([v, text]) => h('option', { value: v }, text)));
    s.value = value;
    s.addEventListener('change', () => ctx.setParams({ [key]: s.value }));
    return h('div', { class: 'field inline' }, h('label', { for: id }, label), s);
  };
  const live = h('input', { type: 'checkbox', id: 'heatmap-frame' });
  live.checked = frame;
  live.addEventListener('change', () => ctx.setParams({ frame: live.checked ? '1' : undefined }));
  return h('div', { class: 'field-row' },
    select('heatmap-url', 'Page', pages.map((p) => [p.url, `${p.path} (${formatInteger(p.clicks)} clicks)`] as const), url, 'url'),
    select('heatmap-device', 'Device', DEVICES.map((d) => [d, d[0]!.toUpperCase() + d.slice(1)] as const), device, 'device'),
    select('heatmap-kind', 'Kind', KINDS, kind, 'kind'),
    h('div', { class: 'field check' }, live, h('label', { for: 'heatmap-frame', title: 'Loads the store’s page from its own origin' }, 'Show the live page behind')));
}

export const heatmapsView: View = {
  name: 'heatmaps',
  title: 'Heatmaps',
  async render(ctx, root, signal) {
    const map = panel('Heatmap', 'heatmap');
    root.append(map.section);
    const range = ctx.query();
    range.delete('interval');
    range.delete('currency');
    let pages: HeatmapPagesRow[];
    try {
      pages = (await ctx.api.get<{ pages: HeatmapPagesRow[] }>('reports/heatmap/pages', new URLSearchParams([...range, ['limit', '200']]))).pages;
    } catch (error) {
      if (!signal.aborted) ctx.ui.showError(map.body, error);
      return;
    }
    if (signal.aborted) return;
    const url = ctx.params.get('url') ?? pages[0]?.url;
    if (!url) {
      ctx.ui.empty(map.body, 'No heatmap data in this range: the tracker sends clicks once heatmaps are on.');
      return;
    }
    if (!pages.some((p) => p.url === url)) pages = [{ url, host: '', path: url, clicks: 0, rage: 0, dead: 0, points: 0 }, ...pages];
    const device = pick(ctx.params.get('device'), DEVICES, 'desktop');
    const kind = pick(ctx.params.get('kind'), KINDS.map((k) => k[0]), 'click');
    const frame = ctx.params.get('frame') === '1';
    map.head.append(controls(ctx, pages, url, device, kind, frame));
    const scroll = panel('Scroll depth', 'scroll');
    const selectors = panel('Top elements', 'selectors');
    root.append(h('div', { class: 'two-up' }, scroll.section, selectors.section));
    const report = ctx.api.get<HeatmapReport>('reports/heatmap', new URLSearchParams([...range, ['url', url], ['device', device], ['kind', kind], ['selector', '1'], ['limit', String(SELECTORS)]]));
    await Promise.all([
      loadInto(map.body, () => report, (r, body) => drawMap(r, body, device, frame), { signal, isEmpty: (r) => r.total === 0, emptyText: `No ${kind} points for ${device} on this page in this range` }),
      loadInto(scroll.body, () => report, drawScroll, { signal, isEmpty: (r) => r.scroll.every((s) => s.visitors === 0) }),
      loadInto(selectors.body, () => report, drawSelectors, { signal, isEmpty: (r) => !r.selectors?.length }),
    ]);
  },
};
