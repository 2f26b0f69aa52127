import { clickPosition, normalizeQuery, resultCount, urlSearchQuery } from './normalize.ts';

/**
 * The pure part of one search-rollup batch: raw rows in, the rows to add to the rollups out
 * (sql/111). Kept apart from the SQL so the click logic is readable and unit-testable.
 *
 * Click rule: a search at t in session S is "followed by a click" when a search_click of the same
 * normalized query in S happened at or after t. With L = the latest such click time ever seen,
 * that is exactly t ≤ L, so a (session, query) needs only L and the searches still above it
 * (`pending`); a later click with time ≥ some pending t turns those into clicked searches.
 */
export const SLOT_MS = 15 * 60_000;
export const slotOf = (ms: number) => Math.floor(ms / SLOT_MS) * SLOT_MS;

export interface RawSearchEvent {
  siteId: string;
  name: string;
  visitorId: string;
  sessionId: string;
  occurredAt: Date;
  q: unknown;
  results: unknown;
  position: unknown;
}

export interface RawSearchPageview {
  siteId: string;
  visitorId: string;
  sessionId: string;
  occurredAt: Date;
  url: string;
  params: string[];
}

export interface Search { siteId: string; query: string; visitorId: string; sessionId: string; at: number; results: number | null }
export interface Click { siteId: string; query: string; sessionId: string; at: number; position: number | null }

export function toSearchesAndClicks(events: readonly RawSearchEvent[], pageviews: readonly RawSearchPageview[]): { searches: Search[]; clicks: Click[] } {
  const searches: Search[] = [];
  const clicks: Click[] = [];
  for (const e of events) {
    const query = normalizeQuery(e.q);
    if (query === null) continue;
    if (e.name === 'search') {
      searches.push({ siteId: e.siteId, query, visitorId: e.visitorId, sessionId: e.sessionId, at: e.occurredAt.getTime(), results: resultCount(e.results) });
    } else if (e.name === 'search_click') {
      clicks.push({ siteId: e.siteId, query, sessionId: e.sessionId, at: e.occurredAt.getTime(), position: clickPosition(e.position) });
    }
  }
  for (const p of pageviews) {
    const query = urlSearchQuery(p.url, p.params);
    if (query !== null) searches.push({ siteId: p.siteId, query, visitorId: p.visitorId, sessionId: p.sessionId, at: p.occurredAt.getTime(), results: null });
  }
  return { searches, clicks };
}

export interface VisitorSlotRow { siteId: string; slot: number; query: string; visitorId: string; searches: number; known: number; zero: number; firstAt: number; lastAt: number }
export interface ClickSlotRow { siteId: string; slot: number; query: string; clicked: number; clicks: number; positionSum: number; positions: number }
export interface SessionState { siteId: string; sessionId: string; query: string; lastClickAt: number | null; pending: number[] }

const key = (...parts: (string | number)[]) => parts.join('\u0000');

export function visitorSlotRows(searches: readonly Search[]): VisitorSlotRow[] {
  const rows = new Map<string, VisitorSlotRow>();
  for (const s of searches) {
    const slot = slotOf(s.at);
    const k = key(s.siteId, slot, s.query, s.visitorId);
    let r = rows.get(k);
    if (!r) rows.set(k, (r = { siteId: s.siteId, slot, query: s.query, visitorId: s.visitorId, searches: 0, known: 0, zero: 0, firstAt: s.at, lastAt: s.at }));
    r.searches += 1;
    if (s.results !== null) r.known += 1;
    if (s.results === 0) r.zero += 1;
    r.firstAt = Math.min(r.firstAt, s.at);
    r.lastAt = Math.max(r.lastAt, s.at);
  }
  return [...rows.values()];
}

export const sessionKey = (siteId: string, sessionId: string, query: string) => key(siteId, sessionId, query);

/**
 * Folds the batch's searches and clicks into the (session, query) states (`existing`: the stored
 * rows of the keys the batch touches) and returns the new states and the click-slot increments.
 */
export function foldClicks(searches: readonly Search[], clicks: readonly Click[], existing: ReadonlyMap<string, SessionState>): { states: SessionState[]; clickSlots: ClickSlotRow[] } {
  const states = new Map<string, SessionState>();
  const state = (siteId: string, sessionId: string, query: string) => {
    const k = sessionKey(siteId, sessionId, query);
    let st = states.get(k);
    if (!st) {
      const old = existing.get(k);
      st = { siteId, sessionId, query, lastClickAt: old?.lastClickAt ?? null, pending: [...(old?.pending ?? [])] };
      states.set(k, st);
    }
    return st;
  };
  const slots = new Map<string, ClickSlotRow>();
  const slotRow = (siteId: string, at: number, query: string) => {
    const slot = slotOf(at);
    const k = key(siteId, slot, query);
    let r = slots.get(k);
    if (!r) slots.set(k, (r = { siteId, slot, query, clicked: 0, clicks: 0, positionSum: 0, positions: 0 }));
    return r;
  };
  for (const c of clicks) {
    const st = state(c.siteId, c.sessionId, c.query);
    st.lastClickAt = st.lastClickAt === null ? c.at : Math.max(st.lastClickAt, c.at);
    const r = slotRow(c.siteId, c.at, c.query);
    r.clicks += 1;
    if (c.position !== null) {
      r.positionSum += c.position;
      r.positions += 1;
    }
  }
  for (const s of searches) state(s.siteId, s.sessionId, s.query).pending.push(s.at);
  for (const st of states.values()) {
    const last = st.lastClickAt;
    if (last === null) continue;
    const still: number[] = [];
    for (const t of st.pending) {
      if (t <= last) slotRow(st.siteId, t, st.query).clicked += 1;
      else still.push(t);
    }
    st.pending = still;
  }
  return { states: [...states.values()], clickSlots: [...slots.values()] };
}
