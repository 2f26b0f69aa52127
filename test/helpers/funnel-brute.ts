import { globMatches } from '../../src/reports/funnel/glob.ts';
import type { FunnelDefinition } from '../../src/reports/funnel/schema.ts';

/**
 * An independent brute force of contract §4.1, written straight from its text over plain
 * activity arrays: every attempt of every unit is walked, nothing is shared with the SQL.
 */
export interface RawActivity {
  kind: 'pageview' | 'event';
  id: string;
  visitorId: string;
  sessionId: string;
  at: number; // epoch ms
  userId: string | null;
  path?: string | null;
  name?: string;
  props?: Record<string, unknown> | null;
  bvals: Record<string, string | null>;
}

export interface RawFunnelOrder {
  id: string;
  visitorId: string | null;
  customerId: string | null;
  status: string;
  at: number;
  currency: string;
  total: number;
}

interface Act {
  id: string;
  at: number;
  isOrder: boolean;
  raw: RawActivity | null;
  order: RawFunnelOrder | null;
}

export interface BruteStep {
  count: number;
  median: number | null;
  avg: number | null;
}

export interface BruteUnit {
  visitorId: string;
  sessionId: string | null;
  depth: number;
  enteredAt: number;
  gaps: number[];
  key: string;
  orderIdsByStep: Map<number, string>;
}

const PAID = new Set(['paid', 'fulfilled', 'refunded']);

function matches(def: FunnelDefinition, k: number, a: Act): boolean {
  const step = def.steps[k]!;
  if (step.type === 'order') return a.isOrder;
  if (a.isOrder || !a.raw) return false;
  if (step.type === 'pageview') return a.raw.kind === 'pageview' && globMatches(step.path, a.raw.path ?? '');
  if (a.raw.kind !== 'event' || a.raw.name !== step.name) return false;
  return Object.entries(step.props ?? {}).every(([key, v]) => a.raw!.props != null && key in a.raw!.props && a.raw!.props[key] === v);
}

/** Returns the completed activities of the attempt starting at index i (in completion order, with their steps). */
function walk(def: FunnelDefinition, acts: Act[], i: number): { hits: number[]; steps: number[] } | null {
  const n = def.steps.length;
  const w = def.window_seconds * 1000;
  const within = (j: number) => acts[j]!.at - acts[i]!.at <= w;
  if (def.order === 'unordered') {
    const first = def.steps.findIndex((_, k) => matches(def, k, acts[i]!));
    if (first < 0) return null;
    const filled = new Set([first]);
    const hits = [i];
    const steps = [first];
    for (let j = i + 1; j < acts.length && filled.size < n && within(j); j++) {
      const k = def.steps.findIndex((_, kk) => !filled.has(kk) && matches(def, kk, acts[j]!));
      if (k >= 0) { filled.add(k); hits.push(j); steps.push(k); }
    }
    return { hits, steps };
  }
  if (!matches(def, 0, acts[i]!)) return null;
  const hits = [i];
  for (let s = 1; s < n; s++) {
    let found = -1;
    for (let j = hits[hits.length - 1]! + 1; j < acts.length && within(j); j++) {
      if (matches(def, s, acts[j]!)) { found = j; break; }
      if (def.order === 'strict' && !acts[j]!.isOrder) break;
    }
    if (found < 0) break;
    hits.push(found);
  }
  return { hits, steps: hits.map((_, s) => s) };
}

export function bruteUnits(def: FunnelDefinition, acts: RawActivity[], orders: RawFunnelOrder[], start: number, end: number, breakdown?: string): BruteUnit[] {
  const inRange = (t: number) => t >= start && t < end;
  const all = acts.filter((a) => inRange(a.at));
  const everUid = new Map<string, Set<string>>(); // uid → visitors (any time)
  for (const a of acts) if (a.userId) everUid.set(a.userId, (everUid.get(a.userId) ?? new Set()).add(a.visitorId));
  const hasOrderStep = def.steps.some((s) => s.type === 'order');
  const units = new Map<string, Act[]>();
  const push = (key: string, act: Act) => units.set(key, [...(units.get(key) ?? []), act]);
  const unitKey = (visitor: string, session: string | null) => (def.unit === 'session' ? `${visitor}\u0000${session}` : visitor);
  for (const a of all) push(unitKey(a.visitorId, a.sessionId), { id: a.id, at: a.at, isOrder: false, raw: a, order: null });
  if (hasOrderStep) {
    for (const o of orders) {
      if (!PAID.has(o.status) || !inRange(o.at)) continue;
      const visitors = new Set<string>();
      if (o.visitorId) visitors.add(o.visitorId);
      if (o.customerId) for (const v of everUid.get(o.customerId) ?? []) visitors.add(v);
      for (const v of visitors) {
        let session: string | null = null;
        if (def.unit === 'session') {
          const before = all.filter((a) => a.visitorId === v && a.at <= o.at && o.at - a.at <= 30 * 60_000);
          const latest = before.sort((x, y) => x.at - y.at || (x.id < y.id ? -1 : 1)).pop();
          if (!latest) continue;
          session = latest.sessionId;
        }
        push(unitKey(v, session), { id: o.id, at: o.at, isOrder: true, raw: null, order: o });
      }
    }
  }
  const out: BruteUnit[] = [];
  for (const [key, list] of units) {
    list.sort((x, y) => x.at - y.at || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    let best: { hits: number[]; steps: number[]; i: number } | null = null;
    for (let i = 0; i < list.length; i++) {
      const attempt = walk(def, list, i);
      if (attempt && (!best || attempt.hits.length > best.hits.length)) best = { ...attempt, i };
    }
    if (!best) continue;
    const first = list[best.i]!;
    const value = first.raw && breakdown ? first.raw.bvals[breakdown] ?? null : null;
    const orderIdsByStep = new Map<number, string>();
    best.hits.forEach((h, p) => { if (list[h]!.isOrder) orderIdsByStep.set(best.steps[p]!, list[h]!.id); });
    const [visitorId, sessionId] = def.unit === 'session' ? key.split('\u0000') : [key, null];
    out.push({
      visitorId: visitorId!, sessionId: sessionId ?? null, depth: best.hits.length, enteredAt: first.at,
      gaps: best.hits.slice(1).map((h, p) => (list[h]!.at - list[best.hits[p]!]!.at) / 1000),
      key: value ?? '(none)', orderIdsByStep,
    });
  }
  return out;
}

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = (s.length - 1) / 2;
  return (s[Math.floor(m)]! + s[Math.ceil(m)]!) / 2;
}

export function bruteSteps(def: FunnelDefinition, units: BruteUnit[]): BruteStep[] {
  return def.steps.map((_, i) => {
    const reached = units.filter((u) => u.depth > i);
    const gaps = i === 0 ? [] : reached.map((u) => u.gaps[i - 1]!);
    return {
      count: reached.length,
      median: median(gaps),
      avg: gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length : null,
    };
  });
}

/** Top 25 keys by entered (ties by key), the rest as `(other)`. */
export function bruteBreakdown(def: FunnelDefinition, units: BruteUnit[]): Map<string, BruteStep[]> {
  const byKey = new Map<string, BruteUnit[]>();
  for (const u of units) byKey.set(u.key, [...(byKey.get(u.key) ?? []), u]);
  const ranked = [...byKey.entries()].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1));
  const out = new Map<string, BruteStep[]>();
  const other: BruteUnit[] = [];
  ranked.forEach(([key, list], r) => { if (r < 25) out.set(key, bruteSteps(def, list)); else other.push(...list); });
  if (other.length) out.set('(other)', bruteSteps(def, other));
  return out;
}
