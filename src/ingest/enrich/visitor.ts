import { createHmac, hash, randomBytes } from 'node:crypto';
import type pg from 'pg';

/** What SaltCache reads salts through. */
export interface SaltSource {
  query<R extends pg.QueryResultRow>(query: { text: string; values: unknown[] }): Promise<pg.QueryResult<R>>;
}

/**
 * Cookieless visitor ids: HMAC-SHA256(daily salt, site | ip | user agent), 96 bits in base64url.
 * The salt is random per UTC day, shared by every instance through `visitor_salts`, kept two days
 * and then deleted by the `salts` job, after which nobody can link a visitor across days or
 * test a guessed IP against stored ids. The raw IP is used here and never stored.
 */
export function cookielessVisitorId(salt: Buffer, siteId: string, ip: string, ua: string): string {
  return createHmac('sha256', salt).update(`${siteId}\u0000${ip}\u0000${ua}`).digest('base64url').slice(0, 16);
}

let lastDay: { day: number; text: string } = { day: NaN, text: '' };

/** 'YYYY-MM-DD' of an epoch-ms instant in UTC (memoised: every beacon of a day asks the same). */
export function utcDay(ms: number): string {
  const day = Math.floor(ms / 86_400_000);
  if (day !== lastDay.day) lastDay = { day, text: new Date(day * 86_400_000).toISOString().slice(0, 10) };
  return lastDay.text;
}

/** One statement: create the day's salt if missing (first writer wins) and read it. */
export function saltQuery(day: string, candidate: Buffer): { text: string; values: unknown[] } {
  return {
    text: `WITH ins AS (
             INSERT INTO visitor_salts (day, salt) VALUES ($1::date, $2::bytea)
             ON CONFLICT (day) DO NOTHING RETURNING salt)
           SELECT salt FROM ins UNION ALL SELECT salt FROM visitor_salts WHERE day = $1::date LIMIT 1`,
    values: [day, candidate],
  };
}

/**
 * Per-process cache of daily salts (one row per day, read once). `prefetch` at start-up fetches
 * today's and tomorrow's, so beacons keep getting ids across midnight while PostgreSQL is down.
 */
export class SaltCache {
  private readonly salts = new Map<string, Buffer>();
  private readonly pending = new Map<string, Promise<Buffer>>();

  /** `db`: a pool, a client, or a query under a deadline (the server's: src/db/deadline.ts). */
  constructor(private readonly db: SaltSource) {}

  cached(day: string): Buffer | undefined {
    return this.salts.get(day);
  }

  async get(day: string): Promise<Buffer> {
    const hit = this.salts.get(day);
    if (hit) return hit;
    let p = this.pending.get(day);
    if (!p) {
      p = this.db
        .query<{ salt: Buffer }>(saltQuery(day, randomBytes(32)))
        .then((r) => {
          const salt = r.rows[0]!.salt;
          this.salts.set(day, salt);
          // only the two newest days are ever needed
          for (const d of [...this.salts.keys()].sort().slice(0, -3)) this.salts.delete(d);
          return salt;
        })
        .finally(() => this.pending.delete(day));
      this.pending.set(day, p);
    }
    return p;
  }

  async prefetch(now = Date.now()): Promise<void> {
    await Promise.all([this.get(utcDay(now)), this.get(utcDay(now + 86_400_000))]);
  }
}

/** Deterministic short ids (sessions): the same input on any instance gives the same id. */
export function shortHash(input: string): string {
  // One-shot crypto.hash: 0.5 µs against 1.4 µs for createHash().update().digest() (Node 20).
  return hash('sha256', input, 'base64url').slice(0, 16);
}
