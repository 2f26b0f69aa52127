/**
 * Charts with chart.js's UMD build (served by Tally at /dashboard/assets/chart.umd.js and loaded
 * before app.js, so `window.Chart` exists; only its types are imported here). One chart per
 * canvas: a redraw replaces the old one. Colours come from the CSS custom properties, so the
 * dark scheme applies to charts as well.
 */
import type { Chart as ChartJs, ChartDataset } from 'chart.js';

type ChartCtor = typeof ChartJs;

function chartClass(): ChartCtor | undefined {
  return (window as unknown as { Chart?: ChartCtor }).Chart;
}

/** Only destroy() is needed later; chart.js's generic Chart types do not widen to one map type. */
const charts = new Map<HTMLCanvasElement, { destroy(): void }>();

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function baseOptions(tooltipLabel: (datasetLabel: string, index: number, value: number) => string) {
  const grid = cssVar('--grid', '#e5e7eb');
  const text = cssVar('--muted', '#6b7280');
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false as const,
    interaction: { mode: 'index' as const, intersect: false },
    scales: {
      x: { grid: { display: false }, ticks: { color: text, maxRotation: 0, autoSkipPadding: 16 } },
      y: { beginAtZero: true, grid: { color: grid }, ticks: { color: text, precision: 0 } },
    },
    plugins: {
      legend: { labels: { color: text, boxWidth: 12 } },
      tooltip: {
        callbacks: {
          label: (item: { dataset: { label?: string }; dataIndex: number; parsed: { y: number | null } }) =>
            tooltipLabel(item.dataset.label ?? '', item.dataIndex, item.parsed.y ?? 0),
        },
      },
    },
  };
}

/** Destroys the charts whose canvas left the page (a view was replaced): chart.js keeps resize observers otherwise. */
export function destroyDetachedCharts(): void {
  for (const [canvas, chart] of charts) {
    if (canvas.isConnected) continue;
    chart.destroy();
    charts.delete(canvas);
  }
}

/** Replaces the chart of `canvas`; returns false when chart.js did not load (the tables still show). */
function draw(canvas: HTMLCanvasElement, config: ConstructorParameters<ChartCtor>[1]): boolean {
  charts.get(canvas)?.destroy();
  charts.delete(canvas);
  const Chart = chartClass();
  if (!Chart) return false;
  charts.set(canvas, new Chart(canvas, config));
  return true;
}

export interface LineSeries {
  label: string;
  values: number[];
  /** The previous period, drawn dashed. */
  dashed?: boolean;
  /** A scheme colour, or any CSS colour (e.g. seriesColor(i) for many lines). */
  color: 'primary' | 'secondary' | 'muted' | (string & {});
}

export function lineChart(canvas: HTMLCanvasElement, labels: string[], series: LineSeries[], format: (n: number) => string): boolean {
  const colors = { primary: cssVar('--primary', '#4f46e5'), secondary: cssVar('--secondary', '#0d9488'), muted: cssVar('--muted', '#4b5563') };
  const colorOf = (c: string) => (c in colors ? colors[c as keyof typeof colors] : c);
  const datasets: ChartDataset<'line', number[]>[] = series.map((s) => ({
    label: s.label,
    data: s.values,
    borderColor: colorOf(s.color),
    backgroundColor: colorOf(s.color),
    borderDash: s.dashed ? [6, 4] : [],
    borderWidth: s.dashed ? 1.5 : 2,
    pointRadius: labels.length > 60 ? 0 : 2,
    tension: 0.25,
  }));
  return draw(canvas, {
    type: 'line',
    data: { labels, datasets },
    options: baseOptions((label, _i, value) => `${label}: ${format(value)}`),
  });
}

/** Bars of amounts in major units; `tooltip` formats the exact minor-unit value of a bucket. */
export function barChart(canvas: HTMLCanvasElement, labels: string[], label: string, values: number[], tooltip: (index: number) => string): boolean {
  const color = cssVar('--primary', '#4f46e5');
  const options = baseOptions((l, i) => `${l}: ${tooltip(i)}`);
  options.scales.y.ticks.precision = 2;
  return draw(canvas, {
    type: 'bar',
    data: { labels, datasets: [{ label, data: values, backgroundColor: color, borderRadius: 3 }] },
    options,
  });
}

/** Series colours in order: the scheme's primary and secondary, then fixed hues readable on both schemes. */
const PALETTE = ['--primary', '--secondary', '#d97706', '#db2777', '#0284c7', '#65a30d', '#7c3aed', '#dc2626'];

export function seriesColor(i: number): string {
  const c = PALETTE[i % PALETTE.length]!;
  return c.startsWith('--') ? cssVar(c, i === 0 ? '#4f46e5' : '#0d9488') : c;
}

export interface BarSeries {
  label: string;
  values: number[];
  /** A fixed colour (e.g. good / needs improvement / poor); default the palette's next. */
  color?: string;
}

/**
 * Bars with one or more series: side by side (`grouped`, e.g. a funnel's breakdown) or on top of
 * each other (`stacked`, e.g. the good / needs-improvement / poor split). `format` formats a value
 * in tooltips and on the value axis; `horizontal` puts the categories on the y axis.
 */
export function multiBarChart(
  canvas: HTMLCanvasElement,
  labels: string[],
  series: BarSeries[],
  options: { stacked?: boolean; horizontal?: boolean; format?: (n: number) => string; max?: number } = {},
): boolean {
  const format = options.format ?? ((n: number) => String(n));
  const base = baseOptions((label, _i, value) => `${label}: ${format(value)}`);
  const valueAxis = { ...base.scales.y, stacked: !!options.stacked, ticks: { ...base.scales.y.ticks, callback: (v: string | number) => format(Number(v)) }, max: options.max };
  const categoryAxis = { ...base.scales.x, stacked: !!options.stacked };
  return draw(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: series.map((s, i) => ({ label: s.label, data: s.values, backgroundColor: s.color ?? seriesColor(i), borderRadius: 3 })),
    },
    options: {
      ...base,
      indexAxis: options.horizontal ? 'y' : 'x',
      scales: options.horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
    },
  });
}

export function groupedBarChart(canvas: HTMLCanvasElement, labels: string[], series: BarSeries[], format?: (n: number) => string): boolean {
  return multiBarChart(canvas, labels, series, { format });
}

export function stackedBarChart(canvas: HTMLCanvasElement, labels: string[], series: BarSeries[], format?: (n: number) => string, horizontal = false): boolean {
  return multiBarChart(canvas, labels, series, { stacked: true, format, horizontal });
}
