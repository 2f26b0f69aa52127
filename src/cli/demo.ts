import { runDemo, totalRows } from '../demo/run.ts';
import { parseFlags, UsageError, withDatabase } from './context.ts';

function intFlag(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} must be an integer ${min}–${max}`);
  return n;
}

/** Scale mode without --orders: ~2% of visits convert; ~10 raw rows per visit. */
const ORDERS_PER_ROW = 0.002;

/**
 * `tally demo [--days 90] [--visitors 20000] [--seed 1]` — a realistic demo store; prints
 * `{"id","publicKey","token"}`. Scale mode: `--events N [--visitors N] [--orders N] [--days N]`
 * runs the same simulation until N raw rows exist (~8–10 per visit; --visitors then caps the
 * visitors), steering conversion to --orders orders (default ~2% of visits), and reports rows/s.
 */
export async function demoCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    days: { type: 'string' },
    visitors: { type: 'string' },
    seed: { type: 'string' },
    events: { type: 'string' },
    orders: { type: 'string' },
    'no-jobs': { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
  const days = intFlag(values.days, '--days', 90, 1, 3660);
  const seed = intFlag(values.seed, '--seed', 1, 0, 2 ** 32 - 1);
  const events = values.events === undefined ? undefined : intFlag(values.events, '--events', 0, 1, 2_000_000_000);
  const visitors = intFlag(values.visitors, '--visitors', events ? 2_000_000_000 : 20_000, 1, 2_000_000_000);
  const orders = values.orders === undefined ? undefined : intFlag(values.orders, '--orders', 0, 0, 100_000_000);
  const scale = events === undefined ? {} : { targetRows: events, targetOrders: orders ?? Math.round(events * ORDERS_PER_ROW) };
  if (orders !== undefined && events === undefined) throw new UsageError('--orders needs --events (scale mode)');

  return withDatabase(async (ctx) => {
    const result = await runDemo(ctx.pool, { days, visitors, seed, ...scale }, ctx.err);
    const rows = totalRows(result.stats);
    ctx.err(
      `demo: ${result.stats.visitors} visitors, ${result.stats.visits} visits, ${rows.toLocaleString('en-US')} raw rows ` +
        `(${Object.entries(result.stats.rows).map(([t, n]) => `${t} ${n}`).join(', ')}), ${result.stats.orders} orders, ` +
        `${result.stats.customers} customers, ${result.stats.refunds} refunds in ${result.seconds.toFixed(1)} s ` +
        `(${result.waitSeconds.toFixed(1)} s of it waiting for PostgreSQL) ` +
        `(${Math.round(rows / result.seconds).toLocaleString('en-US')} rows/s)`,
    );
    if (!values['no-jobs']) {
      // Rollups and other jobs, so reports show the demo at once.
      const { runJobsNow } = await import('../jobs/run.ts');
      const started = performance.now();
      const outcomes = await runJobsNow(ctx, 'all');
      const failed = outcomes.filter((o) => !o.ok);
      ctx.err(`demo: jobs run in ${((performance.now() - started) / 1000).toFixed(1)} s${failed.length ? `; failed: ${failed.map((o) => `${o.job} (${o.error ?? 'error'})`).join(', ')}` : ''}`);
    }
    ctx.out(JSON.stringify(result.site));
    return 0;
  });
}
