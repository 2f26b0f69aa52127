import type { PreparedEvent } from '../tables.ts';

/** What the queue needs of a waiting request: its rows and the visitors its events belong to. */
export interface Queued {
  events: PreparedEvent[];
  rows: number;
  /** `siteId:visitorId` of its events, each once. */
  visitors: string[];
}

/** The distinct visitors of a request's events (almost always one). */
export function visitorsOf(events: readonly PreparedEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    const key = `${e.siteId}:${e.visitorId}`;
    if (!out.includes(key)) out.push(key);
  }
  return out;
}

/**
 * The requests waiting for a write transaction, oldest first, and the choice of those the next
 * transaction takes. A transaction started while another is in flight leaves out every request of
 * a visitor the other one holds: both would lock that visitor's session row, and the second would
 * wait for the first's commit (one shared queue used to make two writers run one after the
 * other). Once a request is left out, every later one of its visitors is too, so each visitor's
 * events reach PostgreSQL in the order they came.
 */
export class BatchQueue<T extends Queued> {
  private items: T[] = [];
  rows = 0;

  get length(): number {
    return this.items.length;
  }

  push(item: T): void {
    this.items.push(item);
    this.rows += item.rows;
  }

  /** Oldest first, up to `maxRows` rows (at least one request), none of a visitor `busy` holds. */
  take(maxRows: number, busy: (visitor: string) => boolean): { items: T[]; visitors: Set<string> } {
    const taken: T[] = [];
    const kept: T[] = [];
    const visitors = new Set<string>();
    const skipped = new Set<string>();
    let rows = 0;
    for (const item of this.items) {
      const fits = rows === 0 || rows + item.rows <= maxRows;
      if (fits && !item.visitors.some((v) => skipped.has(v) || busy(v))) {
        taken.push(item);
        rows += item.rows;
        for (const v of item.visitors) visitors.add(v);
      } else {
        kept.push(item);
        for (const v of item.visitors) skipped.add(v);
      }
    }
    this.items = kept;
    this.rows -= rows;
    return { items: taken, visitors };
  }
}
