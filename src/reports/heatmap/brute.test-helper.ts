/**
 * The heatmap brute force (contract §4.3), pure TypeScript over the beacons as sent: no SQL, no
 * rollups, nothing shared with the code under test. Used by heatmap.test.ts.
 */

export type Device = 'desktop' | 'tablet' | 'mobile';
export type Kind = 'click' | 'rage' | 'dead' | 'scroll';

/** One heatmap beacon as sent, with the device its user agent stands for. */
export interface SentBeacon {
  ts: number;
  vid: string;
  url: string;
  device: Device;
  scroll?: number;
  points: { x: number; y: number; kind: Kind; sel?: string }[];
}

export interface BruteQuery {
  host: string;
  path: string;
  device: Device;
  kind: Exclude<Kind, 'scroll'>;
  start: number;
  end: number;
}

function samePage(b: SentBeacon, q: BruteQuery): boolean {
  const u = new URL(b.url);
  return u.hostname.toLowerCase() === q.host.toLowerCase() && u.pathname === q.path && b.device === q.device && b.ts >= q.start && b.ts < q.end;
}

/** The report's body as §4.3 defines it (points ordered by y then x). */
export function bruteHeatmap(beacons: readonly SentBeacon[], q: BruteQuery) {
  const cells = new Map<string, { x: number; y: number; count: number }>();
  const depth = new Map<string, number>();
  const selectors = new Map<string, number>();
  for (const b of beacons) {
    if (!samePage(b, q)) continue;
    if (b.scroll !== undefined) depth.set(b.vid, Math.max(depth.get(b.vid) ?? 0, Math.round(b.scroll)));
    for (const p of b.points) {
      if (p.kind !== q.kind) continue;
      // Ingestion rounds coordinates to whole CSS px; the cell is the floor to 16 px.
      const x = Math.floor(Math.round(p.x) / 16) * 16;
      const y = Math.floor(Math.round(p.y) / 16) * 16;
      const key = `${x},${y}`;
      const c = cells.get(key) ?? { x, y, count: 0 };
      c.count += 1;
      cells.set(key, c);
      if (p.sel) selectors.set(p.sel, (selectors.get(p.sel) ?? 0) + 1);
    }
  }
  const points = [...cells.values()].sort((a, b) => a.y - b.y || a.x - b.x);
  const scroll = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((d) => ({ depth: d, visitors: [...depth.values()].filter((v) => v >= d).length }));
  return {
    total: points.reduce((n, p) => n + p.count, 0),
    points,
    scroll,
    selectors: [...selectors].map(([selector, count]) => ({ selector, count })).sort((a, b) => b.count - a.count || (a.selector < b.selector ? -1 : 1)),
  };
}

/** Pages with any point in [start, end) (any device), click / rage / dead counts. */
export function bruteHeatmapPages(beacons: readonly SentBeacon[], start: number, end: number) {
  const pages = new Map<string, { host: string; path: string; clicks: number; rage: number; dead: number; points: number }>();
  for (const b of beacons) {
    if (b.ts < start || b.ts >= end) continue;
    const u = new URL(b.url);
    const key = `${u.hostname.toLowerCase()}${u.pathname}`;
    const p = pages.get(key) ?? { host: u.hostname.toLowerCase(), path: u.pathname, clicks: 0, rage: 0, dead: 0, points: 0 };
    for (const pt of b.points) {
      if (pt.kind === 'click') p.clicks++;
      if (pt.kind === 'rage') p.rage++;
      if (pt.kind === 'dead') p.dead++;
      if (pt.kind !== 'scroll') p.points++;
    }
    pages.set(key, p);
  }
  return [...pages.values()];
}
