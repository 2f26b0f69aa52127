import { shortHash } from './enrich/visitor.ts';
import type { PreparedEvent } from './tables.ts';

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

/** (site_id, visitor_id) order as PostgreSQL's ORDER BY sorts them: numeric site, then visitor. */
function byKey(a: string, b: string): number {
  const [sa, va] = [a.slice(0, a.indexOf('\u0000')), a.slice(a.indexOf('\u0000') + 1)];
  const [sb, vb] = [b.slice(0, b.indexOf('\u0000')), b.slice(b.indexOf('\u0000') + 1)];
  if (sa !== sb) return sa.length - sb.length || (sa < sb ? -1 : 1);
  return va < vb ? -1 : va > vb ? 1 : 0;
}

/** Visitors (sorted keys) of the events that need a derived session. */
export function visitorKeys(events: readonly PreparedEvent[]): { sites: string[]; visitors: string[] } {
  const keys = [...new Set(events.filter((e) => !e.sid).map((e) => `${e.siteId}\u0000${e.visitorId}`))].sort(byKey);
  return { sites: keys.map((k) => k.slice(0, k.indexOf('\u0000'))), visitors: keys.map((k) => k.slice(k.indexOf('\u0000') + 1)) };
}

/**
 * Server-derived sessions take three set-based steps inside the write transaction (write.ts):
 *  1. insert missing state rows (placeholders, in key order; a CTE of the keys statement, its
 *     parameters from `first` on) — a concurrent instance's insert of the same visitor now waits
 *     for our commit instead of racing us;
 *  2. lock and read every state row of the batch (`lockStatesQuery`);
 *  3. advance the states in memory and write them back (`advanceSessions`).
 */
export function insertPlaceholders(sites: string[], visitors: string[], first: number): { text: string; values: unknown[] } {
  return {
    text: `INSERT INTO visitor_sessions (site_id, visitor_id, session_id, last_seen)
           SELECT s, v, '', '-infinity' FROM unnest($${first}::bigint[], $${first + 1}::text[]) WITH ORDINALITY AS u(s, v, o)
           ORDER BY o
           ON CONFLICT (site_id, visitor_id) DO NOTHING`,
    values: [sites, visitors],
  };
}

/** A visitor's state row as read (and locked) by `lockStatesQuery`; lastSeen null = placeholder. */
export interface LockedState {
  siteId: string;
  visitorId: string;
  sessionId: string;
  lastSeen: number | null;
}

/**
 * Step 2: lock and read every state row of the batch (FOR UPDATE, key order: no deadlocks).
 * Index lookups per key (LATERAL), in key order: a join would let the planner hash-join over a
 * sequential scan of the whole state table, whose cost grows with every visitor ever seen.
 */
export function lockStatesQuery(sites: string[], visitors: string[]): { text: string; values: unknown[] } {
  return {
    text: `SELECT vs.site_id::text AS "siteId", vs.visitor_id AS "visitorId", vs.session_id AS "sessionId",
                  CASE WHEN vs.last_seen = '-infinity' THEN NULL ELSE (extract(epoch FROM vs.last_seen) * 1000)::float8 END AS "lastSeen"
           FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS u(s, v, o)
           CROSS JOIN LATERAL (
             SELECT * FROM visitor_sessions x WHERE x.site_id = u.s AND x.visitor_id = u.v FOR UPDATE
           ) vs
           ORDER BY u.o`,
    values: [sites, visitors],
  };
}

/** Events without a client `sid`, grouped by visitor key (`site\0visitor`). */
function groupByVisitor(events: readonly PreparedEvent[], out: Map<PreparedEvent, string>): Map<string, PreparedEvent[]> {
  const byVisitor = new Map<string, PreparedEvent[]>();
  for (const e of events) {
    if (e.sid) {
      out.set(e, e.sid);
      continue;
    }
    const key = `${e.siteId}\u0000${e.visitorId}`;
    const list = byVisitor.get(key);
    if (list) list.push(e);
    else byVisitor.set(key, [e]);
  }
  return byVisitor;
}

/**
 * Step 3 in memory: session ids of `events` from their visitors' locked states, and the upsert
 * (one unique-index probe per row of rows we hold locked) that stores the advanced states, or
 * null when no state changed. Events with a client `sid` keep it and do not touch the state.
 */
export function advanceSessions(
  events: readonly PreparedEvent[],
  locked: readonly LockedState[],
): { sessions: Map<PreparedEvent, string>; upsert: { text: string; values: unknown[] } | null } {
  const sessions = new Map<PreparedEvent, string>();
  const byVisitor = groupByVisitor(events, sessions);
  const current = new Map<string, State>();
  for (const r of locked) {
    if (r.lastSeen !== null) current.set(`${r.siteId}\u0000${r.visitorId}`, { sessionId: r.sessionId, lastSeen: Math.round(r.lastSeen) });
  }
  const upSites: string[] = [];
  const upVisitors: string[] = [];
  const upSessions: string[] = [];
  const upSeen: string[] = [];
  for (const [key, list] of byVisitor) {
    list.sort((a, b) => a.ts - b.ts);
    const before = current.get(key);
    let state = before;
    for (const e of list) {
      const step = advance(state, e.siteId, e.visitorId, e.ts);
      sessions.set(e, step.sessionId);
      state = step.state;
    }
    if (state && (state.lastSeen !== before?.lastSeen || state.sessionId !== before?.sessionId)) {
      const first = list[0]!;
      upSites.push(first.siteId);
      upVisitors.push(first.visitorId);
      upSessions.push(state.sessionId);
      upSeen.push(new Date(state.lastSeen).toISOString());
    }
  }
  if (!upSites.length) return { sessions, upsert: null };
  return {
    sessions,
    upsert: {
      text: `INSERT INTO visitor_sessions (site_id, visitor_id, session_id, last_seen)
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[])
             ON CONFLICT (site_id, visitor_id) DO UPDATE SET session_id = excluded.session_id, last_seen = excluded.last_seen`,
      values: [upSites, upVisitors, upSessions, upSeen],
    },
  };
}
