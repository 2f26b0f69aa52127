import { describe, expect, it } from 'vitest';
import { foldClicks, sessionKey, slotOf, visitorSlotRows, type Click, type Search, type SessionState } from './rollup-fold.ts';

const search = (at: number, results: number | null = 3, sessionId = 's', query = 'q'): Search => ({ siteId: '1', query, visitorId: 'v', sessionId, at, results });
const click = (at: number, position: number | null = 1, sessionId = 's', query = 'q'): Click => ({ siteId: '1', query, sessionId, at, position });
const clicked = (r: ReturnType<typeof foldClicks>) => r.clickSlots.reduce((n, s) => n + s.clicked, 0);

/** Folds in batches, carrying the states between them as the job does through search_session_queries. */
function inBatches(batches: { searches: Search[]; clicks: Click[] }[]) {
  let states = new Map<string, SessionState>();
  let total = 0;
  for (const b of batches) {
    const r = foldClicks(b.searches, b.clicks, states);
    total += clicked(r);
    states = new Map([...states, ...r.states.map((s) => [sessionKey(s.siteId, s.sessionId, s.query), s] as const)]);
  }
  return total;
}

describe('the click rule (a click at or after the search, same session and query)', () => {
  it('counts searches at or before the latest click, in one batch', () => {
    const r = foldClicks([search(100), search(200), search(300)], [click(200)], new Map());
    expect(clicked(r)).toBe(2);
    expect(r.states[0]).toMatchObject({ lastClickAt: 200, pending: [300] });
  });

  it('ignores clicks of another session or query', () => {
    expect(clicked(foldClicks([search(100)], [click(200, 1, 'other'), click(300, 1, 's', 'x')], new Map()))).toBe(0);
  });

  it('gives the same count whatever the batches and arrival order', () => {
    const searches = [search(100), search(500), search(900)];
    const clicks = [click(600), click(50)];
    const once = clicked(foldClicks(searches, clicks, new Map()));
    expect(once).toBe(2);
    expect(inBatches([{ searches, clicks: [] }, { searches: [], clicks }])).toBe(once);
    expect(inBatches([{ searches: [], clicks }, { searches, clicks: [] }])).toBe(once);
    expect(inBatches([{ searches: [searches[2]!], clicks: [clicks[1]!] }, { searches: [searches[0]!], clicks: [] }, { searches: [searches[1]!], clicks: [clicks[0]!] }])).toBe(once);
  });

  it('sums click positions per slot of the click', () => {
    const r = foldClicks([], [click(0, 2), click(1000, 4), click(15 * 60_000, null)], new Map());
    expect(r.clickSlots.map((s) => [s.slot, s.clicks, s.positionSum, s.positions])).toEqual([[0, 2, 6, 2], [15 * 60_000, 1, 0, 0]]);
  });
});

describe('visitor slots', () => {
  it('counts searches, known and zero results, first and last time per quarter hour', () => {
    const base = Date.parse('2026-10-25T00:59:00Z');
    const rows = visitorSlotRows([search(base, 0), search(base + 30_000, null), search(base + 60_000, 5)]);
    expect(rows).toEqual([
      { siteId: '1', slot: slotOf(base), query: 'q', visitorId: 'v', searches: 2, known: 1, zero: 1, firstAt: base, lastAt: base + 30_000 },
      { siteId: '1', slot: Date.parse('2026-10-25T01:00:00Z'), query: 'q', visitorId: 'v', searches: 1, known: 1, zero: 0, firstAt: base + 60_000, lastAt: base + 60_000 },
    ]);
  });
});
