import { shortHash } from '../enrich/visitor.ts';
import type { PreparedEvent } from '../tables.ts';

/** 30 minutes without an event end a session (Plausible, Umami and GA alike). */
export const SESSION_GAP_MS = 30 * 60_000;

interface State {
  sessionId: string;
  lastSeen: number;
}

/** The id of a session is a function of (site, visitor, its first event's time): any instance agrees. */
export function sessionIdFor(siteId: string, visitorId: string, firstTs: number): string {
  return shortHash(`s\u0000${siteId}\u0000${visitorId}\u0000${firstTs}`);
}

/**
 * Next state and session id of an event at `ts` for a visitor in `state`.
 *  - no state, or more than 30 min after last_seen: a new session starting at `ts`;
 *  - within 30 min after (or at) last_seen: the current session, last_seen moves to `ts`;
 *  - a late event (before last_seen): the current session when within 30 min of last_seen,
 *    else a session of its own half-hour bucket (late data cannot reopen history consistently
 *    across instances; a bucket id at least groups a late burst). State is left unchanged.
 */
export function advance(state: State | undefined, siteId: string, visitorId: string, ts: number): { sessionId: string; state: State | undefined } {
  if (!state || ts - state.lastSeen > SESSION_GAP_MS) {
    const sessionId = sessionIdFor(siteId, visitorId, ts);
    return { sessionId, state: { sessionId, lastSeen: ts } };
  }
  if (ts >= state.lastSeen) return { sessionId: state.sessionId, state: { sessionId: state.sessionId, lastSeen: ts } };
  if (state.lastSeen - ts <= SESSION_GAP_MS) return { sessionId: state.sessionId, state };
  const bucket = Math.floor(ts / SESSION_GAP_MS) * SESSION_GAP_MS;
  return { sessionId: sessionIdFor(siteId, visitorId, bucket), state };
}

/**
 * Visitors in (site_id, visitor_id) order — numeric site, then visitor by code unit — the order in
 * which every instance locks state rows, so that two transactions never wait on each other in a
 * circle. Compared on the events' own fields: slicing joined keys cost 0.5 % of the writer's CPU.
 */
function visitorOrder(a: PreparedEvent, b: PreparedEvent): number {
  if (a.siteId !== b.siteId) return a.siteId.length - b.siteId.length || (a.siteId < b.siteId ? -1 : 1);
  return a.visitorId < b.visitorId ? -1 : a.visitorId > b.visitorId ? 1 : 0;
}

/** Events without a client `sid`, by visitor key (`site\0visitor`), each list in time order. */
function groupByVisitor(events: readonly PreparedEvent[], out?: Map<PreparedEvent, string>): Map<string, PreparedEvent[]> {
  const byVisitor = new Map<string, PreparedEvent[]>();
  for (const e of events) {
    if (e.sid) {
      out?.set(e, e.sid);
      continue;
    }
    const key = `${e.siteId}\u0000${e.visitorId}`;
    const list = byVisitor.get(key);
    if (list) list.push(e);
    else byVisitor.set(key, [e]);
  }
  for (const list of byVisitor.values()) list.sort((a, b) => a.ts - b.ts);
  return byVisitor;
}

const ms = (column: string) => `CASE WHEN ${column} = '-infinity' THEN NULL ELSE (extract(epoch FROM ${column}) * 1000)::float8 END`;

/**
 * Server-derived sessions cost one statement per batch, in the write transaction's first round
 * trip (write.ts): a MERGE into visitor_sessions that locks each visitor's row (or inserts it),
 * writes the state the batch most likely leads to, and returns the state it replaced (PostgreSQL 18
 * `RETURNING old.*`). The likely state assumes the batch's events come after the stored
 * last_seen: then it depends only on whether the first event opens a new session (more than
 * 30 min later), which the MERGE decides, and on gaps inside the batch, which are known here.
 * `reconcileSessions` then replays `advance` from the state returned, on the events that were not
 * duplicates, and corrects the rows where the guess was wrong (late events, duplicates).
 *
 * Against the three statements this replaces (insert placeholders, lock with FOR UPDATE, upsert),
 * the MERGE touches each row once: 3.4 against 6.9 ms for 166 single beacons of distinct visitors
 * (`loadtest/ingest/tx-micro.ts`). Rows are locked in key order — the source is sorted and the
 * transaction turns hash and merge joins off, leaving the nested loop over the primary key — so
 * instances do not deadlock. Two instances inserting the same new visitor at once make the later
 * one fail with a unique violation; write.ts retries that transaction.
 */
export function mergeStatesQuery(events: readonly PreparedEvent[]): { text: string; values: unknown[] } | null {
  const lists = [...groupByVisitor(events).values()].sort((x, y) => visitorOrder(x[0]!, y[0]!));
  if (!lists.length) return null;
  const sites: string[] = [];
  const visitors: string[] = [];
  const firsts: string[] = [];
  const lasts: string[] = [];
  const startIds: string[] = [];
  const lastIds: (string | null)[] = [];
  for (const list of lists) {
    const first = list[0]!;
    // The last event of the batch that opens a session by its gap to the previous one.
    let lastOpener: PreparedEvent | undefined;
    for (let i = 1; i < list.length; i++) if (list[i]!.ts - list[i - 1]!.ts > SESSION_GAP_MS) lastOpener = list[i];
    sites.push(first.siteId);
    visitors.push(first.visitorId);
    firsts.push(new Date(first.ts).toISOString());
    lasts.push(new Date(list[list.length - 1]!.ts).toISOString());
    startIds.push(sessionIdFor(first.siteId, first.visitorId, first.ts));
    lastIds.push(lastOpener ? sessionIdFor(lastOpener.siteId, lastOpener.visitorId, lastOpener.ts) : null);
  }
  return {
    text: `MERGE INTO visitor_sessions t
           USING (SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::text[])
                    WITH ORDINALITY AS u(s, v, first_ts, last_ts, start_sid, last_sid, o) ORDER BY o) u
           ON t.site_id = u.s AND t.visitor_id = u.v
           WHEN MATCHED THEN UPDATE SET
             session_id = CASE WHEN u.first_ts - t.last_seen > interval '${SESSION_GAP_MS / 60_000} minutes'
                               THEN coalesce(u.last_sid, u.start_sid) ELSE coalesce(u.last_sid, t.session_id) END,
             last_seen = greatest(t.last_seen, u.last_ts)
           WHEN NOT MATCHED THEN INSERT (site_id, visitor_id, session_id, last_seen)
             VALUES (u.s, u.v, coalesce(u.last_sid, u.start_sid), u.last_ts)
           RETURNING u.s::text AS "siteId", u.v AS "visitorId",
                     old.session_id AS "oldSession", ${ms('old.last_seen')} AS "oldSeen",
                     new.session_id AS "newSession", ${ms('new.last_seen')} AS "newSeen"`,
    values: [sites, visitors, firsts, lasts, startIds, lastIds],
  };
}

/** A row of `mergeStatesQuery`: the state before the MERGE (null: none) and the state it wrote. */
export interface MergedState {
  siteId: string;
  visitorId: string;
  oldSession: string | null;
  oldSeen: number | null;
  newSession: string;
  newSeen: number;
}

/**
 * Session ids of `events` (the batch's events that were not duplicates) from their visitors' states
 * as they were before the MERGE, and the UPDATE that corrects the rows where the MERGE's guess
 * differs from `advance` (null when none does: the usual case). Events with a client `sid` keep it
 * and do not touch the state.
 */
export function reconcileSessions(
  events: readonly PreparedEvent[],
  merged: readonly MergedState[],
): { sessions: Map<PreparedEvent, string>; correction: { text: string; values: unknown[] } | null } {
  const sessions = new Map<PreparedEvent, string>();
  const eventsOf = groupByVisitor(events, sessions);
  const fix: [string[], string[], string[], string[]] = [[], [], [], []];
  for (const r of merged) {
    const before: State | undefined = r.oldSeen === null || r.oldSession === null ? undefined : { sessionId: r.oldSession, lastSeen: Math.round(r.oldSeen) };
    let state = before;
    for (const e of eventsOf.get(`${r.siteId}\u0000${r.visitorId}`) ?? []) {
      const step = advance(state, e.siteId, e.visitorId, e.ts);
      sessions.set(e, step.sessionId);
      state = step.state;
    }
    if (state && (state.sessionId !== r.newSession || state.lastSeen !== Math.round(r.newSeen))) {
      fix[0].push(r.siteId);
      fix[1].push(r.visitorId);
      fix[2].push(state.sessionId);
      fix[3].push(new Date(state.lastSeen).toISOString());
    }
  }
  if (!fix[0].length) return { sessions, correction: null };
  return {
    sessions,
    correction: {
      // Rows the MERGE locked: no other transaction has changed them since.
      text: `UPDATE visitor_sessions t SET session_id = u.sid, last_seen = u.seen
             FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[]) AS u(s, v, sid, seen)
             WHERE t.site_id = u.s AND t.visitor_id = u.v`,
      values: fix,
    },
  };
}
