/**
 * The web-vitals brute force (contract §4.5), pure TypeScript over the beacons as sent. p75 is
 * percentile_cont(0.75) as the contract defines it: the value at rank 0.75 × (n − 1) of the
 * sorted values, linearly interpolated between its neighbours (written out here as PostgreSQL's
 * float8 interpolation lo + frac × (hi − lo), so the comparison can be exact).
 */

export type Metric = 'lcp' | 'inp' | 'cls' | 'fcp' | 'ttfb';
export const METRICS: Metric[] = ['lcp', 'inp', 'cls', 'fcp', 'ttfb'];
const GOOD: Record<Metric, number> = { lcp: 2500, inp: 200, cls: 0.1, fcp: 1800, ttfb: 800 };
const POOR: Record<Metric, number> = { lcp: 4000, inp: 500, cls: 0.25, fcp: 3000, ttfb: 1800 };

export interface SentVitals {
  ts: number;
  path: string | null;
  device: 'desktop' | 'tablet' | 'mobile';
  values: Partial<Record<Metric, number>>;
}

export function p75(values: number[]): number | null {
  if (!values.length) return null;
  const v = [...values].sort((a, b) => a - b);
  const rank = 0.75 * (v.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return lo === hi ? v[lo]! : v[lo]! + (rank - lo) * (v[hi]! - v[lo]!);
}

export function bruteVitals(sent: readonly SentVitals[], q: { start: number; end: number; path?: string; device?: string }) {
  const rows = sent.filter((s) => s.ts >= q.start && s.ts < q.end && (q.path === undefined || s.path === q.path) && (q.device === undefined || s.device === q.device));
  const metrics = Object.fromEntries(METRICS.map((m) => {
    const vals = rows.map((r) => r.values[m]).filter((v): v is number => v !== undefined);
    const n = vals.length;
    const good = vals.filter((v) => v <= GOOD[m]).length;
    const poor = vals.filter((v) => v > POOR[m]).length;
    return [m, { p75: p75(vals), samples: n, good: n ? good / n : 0, needs_improvement: n ? (n - good - poor) / n : 0, poor: n ? poor / n : 0 }];
  }));
  const byPath = new Map<string, SentVitals[]>();
  for (const r of rows) if (r.path !== null) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  const of = (rs: SentVitals[], m: Metric) => p75(rs.map((r) => r.values[m]).filter((v): v is number => v !== undefined));
  const pages = [...byPath]
    .map(([path, rs]) => ({ path, samples: rs.length, lcp_p75: of(rs, 'lcp'), inp_p75: of(rs, 'inp'), cls_p75: of(rs, 'cls') }))
    .sort((a, b) => b.samples - a.samples || (a.path < b.path ? -1 : 1))
    .slice(0, 50)
    .sort((a, b) => (b.lcp_p75 ?? -Infinity) - (a.lcp_p75 ?? -Infinity) || b.samples - a.samples || (a.path < b.path ? -1 : 1));
  return { metrics, pages };
}
