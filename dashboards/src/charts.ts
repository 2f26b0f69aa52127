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
  color: 'primary' | 'secondary' | 'muted';
}

export function lineChart(canvas: HTMLCanvasElement, labels: string[], series: LineSeries[], format: (n: number) => string): boolean {
  const colors = { primary: cssVar('--primary', '#4f46e5'), secondary: cssVar('--secondary', '#0d9488'), muted: cssVar('--muted', '#4b5563') };
  const datasets: ChartDataset<'line', number[]>[] = series.map((s) => ({
    label: s.label,
    data: s.values,
    borderColor: colors[s.color],
    backgroundColor: colors[s.color],
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
