/**
 * Per-process cache of each site's running experiments, for the assignment endpoints. Contract
 * §7: a status change takes effect on every instance within 5 s. An entry is reused for at most
 * `ttlMs` (default 4 s, leaving a second for the query that refreshes it) and then reloaded:
 * one indexed query per site per 4 s however many visitors ask, instead of one per request.
 * The process that changed a definition drops its own entry at once (`invalidate`).
 *
 * When the reload fails (PostgreSQL unreachable or past the deadline) the last answer is kept
 * for the site, as SiteCache does for site keys: assignment keeps working while the database is
 * away; only a site never loaded gets the error.
 */
import { LRUCache } from 'lru-cache';
import type pg from 'pg';
import { queryWithin } from '../db/deadline.ts';
import type { Variant } from './definition.ts';

export interface RunningExperiment {
  key: string;
  /** The hash seed; null = the key (contract §7). */
  seed: string | null;
  coverage: number;
  variants: Variant[];
}

export const RUNNING_TTL_MS = 4_000;

interface Entry {
  loadedAt: number;
  experiments: Map<string, RunningExperiment>;
}

export function runningExperimentsSql(siteId: string) {
  return {
    text: `SELECT key, seed, coverage, variants FROM experiments WHERE site_id = $1::bigint AND status = 'running'`,
    values: [siteId],
  };
}

export class RunningExperimentsCache {
  private readonly entries = new LRUCache<string, Entry>({ max: 20_000 });
  private readonly pending = new Map<string, Promise<Map<string, RunningExperiment>>>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: { timeoutMs: number; ttlMs?: number; now?: () => number },
  ) {
    this.ttlMs = options.ttlMs ?? RUNNING_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  /** key → running experiment of the site (an experiment absent here assigns null). */
  async forSite(siteId: string): Promise<Map<string, RunningExperiment>> {
    const entry = this.entries.get(siteId);
    if (entry && this.now() - entry.loadedAt < this.ttlMs) return entry.experiments;
    let p = this.pending.get(siteId);
    if (!p) {
      p = this.load(siteId, entry).finally(() => this.pending.delete(siteId));
      this.pending.set(siteId, p);
    }
    return p;
  }

  invalidate(siteId: string): void {
    this.entries.delete(siteId);
  }

  private async load(siteId: string, stale: Entry | undefined): Promise<Map<string, RunningExperiment>> {
    const loadedAt = this.now();
    let rows: RunningExperiment[];
    try {
      rows = (await queryWithin<RunningExperiment>(this.pool, runningExperimentsSql(siteId), this.options.timeoutMs)).rows;
    } catch (error) {
      if (stale) return stale.experiments;
      throw error;
    }
    const experiments = new Map(rows.map((r) => [r.key, r]));
    this.entries.set(siteId, { loadedAt, experiments });
    return experiments;
  }
}
