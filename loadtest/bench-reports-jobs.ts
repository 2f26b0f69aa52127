/**
 * The feature rollup jobs of `npm run bench:reports`: their full build after the data is
 * generated, and their keep-up (new raw rows folded per second) on the bench's last-hour batch.
 * Every scheduled job of the registry that is not the traffic/commerce rollups (timed by
 * bench-reports.ts itself) or infrastructure runs here, so a new report's job (saved funnels,
 * site search, discounts, vitals) is measured as soon as it is registered.
 */
import type { Config } from '../src/config.ts';
import type { Pool } from '../src/db/pool.ts';
import { jobRegistry } from '../src/jobs/registry.ts';
import { runJobsNow } from '../src/jobs/run.ts';
import type { Logger } from '../src/log.ts';

type Ctx = { pool: Pool; config: Config; logger: Logger };

const NOT_FEATURE = new Set(['rollups', 'commerce-rollups', 'partitions', 'retention', 'salts', 'dedup-cleanup']);
/** The raw tables whose new rows a job folds (default: pageviews and events). */
const SOURCES: Record<string, string[]> = {
  'error-groups': ['errors'],
  'heatmap-rollups': ['heatmap_points'],
  'vitals-rollups': ['vitals'],
  'cohort-rollups': ['pageviews'],
  'experiment-exposures': ['events'],
};
const sourcesOf = (job: string) => SOURCES[job] ?? ['pageviews', 'events'];

export function featureJobs(config: Config): string[] {
  return jobRegistry(config).filter((j) => j.intervalSeconds > 0 && !NOT_FEATURE.has(j.name)).map((j) => j.name);
}

export interface JobTiming {
  job: string;
  ms: number;
  ok: boolean;
  newRows?: number;
  rowsPerSecond?: number;
}

async function timeJob(ctx: Ctx, job: string): Promise<{ ms: number; ok: boolean }> {
  const t = performance.now();
  const outcomes = await runJobsNow(ctx, job);
  return { ms: Math.round((performance.now() - t) * 10) / 10, ok: outcomes.every((o) => o.ok) };
}

/** Full build of every feature rollup over the generated data (their watermarks start at 0). */
export async function buildFeatureRollups(ctx: Ctx, log: (m: string) => void): Promise<JobTiming[]> {
  const out: JobTiming[] = [];
  for (const job of featureJobs(ctx.config)) {
    const r = await timeJob(ctx, job);
    out.push({ job, ...r });
    log(`full build ${job}: ${r.ms} ms ok=${r.ok}`);
  }
  return out;
}

/**
 * New heatmap points, errors and vitals for the keep-up run: `share` of each table's rows copied
 * to random times in the last hour with new ids (bench-reports-data.ts's generator writes only
 * pageviews and custom events). Set-based INSERT … SELECT.
 */
export async function addLastHourFeatureRows(pool: Pool, siteId: string, share: number): Promise<void> {
  const copy = (table: string, cols: string) => pool.query({
    text: `INSERT INTO ${table} (site_id, occurred_at, received_at, event_id, ${cols})
           SELECT site_id, t, t, gen_random_uuid(), ${cols}
           FROM (SELECT *, now() - random() * interval '1 hour' AS t FROM ${table} TABLESAMPLE BERNOULLI ($2::float8) WHERE site_id = $1::bigint) s`,
    values: [siteId, share * 100],
  });
  await copy('vitals', 'visitor_id, session_id, url, host, path, lcp, inp, cls, fcp, ttfb, device, country, browser');
  await copy('heatmap_points', 'visitor_id, session_id, url, host, path, device, viewport_w, doc_height, scroll_depth, x, y, kind, selector');
  await copy('errors', 'visitor_id, session_id, url, host, path, fingerprint, kind, message, stack, file, line, col, handled, browser, browser_version, os');
}

/**
 * One incremental run of each feature job over the keep-up batch (every row with ingest_seq >
 * `sinceSeq`; every job had caught up before it): rows/s of the job's own source tables.
 */
export async function keepUpFeatureRollups(ctx: Ctx, log: (m: string) => void, sinceSeq: string): Promise<JobTiming[]> {
  const out: JobTiming[] = [];
  for (const job of featureJobs(ctx.config)) {
    let newRows = 0;
    for (const t of sourcesOf(job)) {
      newRows += Number((await ctx.pool.query<{ n: string }>({ text: `SELECT count(*)::text AS n FROM ${t} WHERE ingest_seq > $1::bigint`, values: [sinceSeq] })).rows[0]!.n);
    }
    const r = await timeJob(ctx, job);
    const rowsPerSecond = Math.round(newRows / (r.ms / 1000));
    out.push({ job, ...r, newRows, rowsPerSecond });
    log(`keep-up ${job}: ${newRows} new rows of ${sourcesOf(job).join('+')} in ${r.ms} ms = ${rowsPerSecond} rows/s ok=${r.ok}`);
  }
  return out;
}
