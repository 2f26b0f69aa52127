/**
 * `npm run bench:ingest` — ingestion throughput and latency, against baselines measured in the
 * same run on the same machine:
 *   (a) a no-op Hono endpoint (the HTTP ceiling),
 *   (b) Tally's own pipeline writing one INSERT per event (loadtest/ingest/insert-server.ts, the Umami way).
 * Starts its own embedded PostgreSQL (fsync on: real durability) in a temp folder and Tally as a
 * child process (so its peak RSS can be read from /proc), drives it with autocannon (closed loop:
 * throughput) and, for the latency at 5,000 beacons/s, with an open-loop generator
 * (ingest/open-loop.ts: evenly spaced sends, latency from each scheduled time), checks the rows in
 * PostgreSQL against the 202s, prints a table and the ratios against the targets.
 * BENCH_SECONDS (default 10) sets each phase's length; a phase and its baselines run in
 * alternating slices (BENCH_ROUNDS, default 2, see PhaseTotal). BENCH_PHASES (e.g. `batch` or
 * `noop,single`; default all of noop, insert, single, batch, fixed) runs a subset, for profiling:
 * the ratios then compare against whatever baselines ran.
 * BENCH_WARMUP_SECONDS (default 6) of unmeasured traffic, half single beacons and half batches,
 * go to every served process (no-op, INSERT baseline, Tally) before its measured phases: the
 * figures are a running server's, not one still compiling its hot paths and filling its caches
 * (without it, Tally's first phase measured 5,041 req/s against 6,115 for the same phase run
 * right after it; docs/benchmarks.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort, startEmbedded } from '../src/db/embedded.ts';
import { migrate } from '../src/db/migrate.ts';
import { createPool } from '../src/db/pool.ts';
import { createSite } from '../src/sites/sites.ts';
import { CpuMeter } from './ingest/cpu.ts';
import { openLoop, type OpenLoopResult } from './ingest/open-loop.ts';
import { batches, prng, singles, userAgents, visitors, type BenchRequest } from './ingest/traffic.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
// Beacons come from many browsers at once; a closed-loop load generator needs enough connections
// that throughput is not capped at connections / latency (group commit trades latency for size).
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 200);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 6);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const FIXED_RATE = 5000;
const PHASES = new Set((process.env.BENCH_PHASES ?? 'noop,insert,single,batch,fixed').split(','));
const skipped = (name: string): Phase => ({ name, reqPerSec: NaN, eventsPerSec: NaN, p50: NaN, p99: NaN, ok: 0, errors: 0 });
// Node flags of `npm start` (package.json), so the benchmark measures the server as shipped
// (BENCH_SERVER_FLAGS replaces them, to compare settings).
const SERVER_FLAGS = process.env.BENCH_SERVER_FLAGS?.split(' ').filter(Boolean) ?? ['--max-semi-space-size=32', '--heap-growing-percent=30'];

async function waitHealthy(base: string, child: ChildProcess): Promise<void> {
  const end = Date.now() + 90_000;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`child exited with ${child.exitCode}`);
    if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${base} did not become healthy`);
}

async function startChild(args: string[], env: Record<string, string>): Promise<{ base: string; child: ChildProcess; stop(): Promise<number | null> }> {
  const port = await freePort();
  // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") go to every child: where the time goes.
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, ...args], { env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env }, stdio: ['ignore', process.env.BENCH_LOG ? 'inherit' : 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  await waitHealthy(base, child);
  return {
    base,
    child,
    // Resolves at once for a child that already exited (the finally block stops every child
    // again; waiting for a second 'exit' would leave the bench's PostgreSQL running).
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

interface Phase {
  name: string;
  reqPerSec: number;
  eventsPerSec: number;
  p50: number;
  p99: number;
  ok: number;
  errors: number;
  /** CPU per acknowledged event: the served process and PostgreSQL (µs). */
  tallyUs?: number;
  /** Of tallyUs, the main thread's (HTTP, validation, enrichment); the rest is the writer thread, GC helpers, libuv. */
  mainUs?: number;
  pgUs?: number;
}

let meter: CpuMeter | undefined;

/** What a phase's slice needs from either load generator. */
type LoadResult = Pick<autocannon.Result, '2xx' | 'non2xx' | 'errors' | 'timeouts'> & { latency: { p50: number; p99: number; max: number } };

type Target = { base: string; child: ChildProcess };

/** Loads a target for `seconds` with random picks from `requests`, closed loop: each connection sends its next request on the answer. */
function load(target: Target, requests: BenchRequest[], seconds: number, opts: { overallRate?: number; connections?: number }): Promise<autocannon.Result> {
  // autocannon walks one request list from the start on every connection, which would make all
  // connections send the same visitor's beacon at the same moment (unrealistic row-lock
  // contention on that visitor's session state); each request is drawn at random instead.
  const pick = prng(requests.length);
  return autocannon({
    url: target.base,
    connections: opts.connections ?? CONNECTIONS,
    duration: seconds,
    // A copy of the headers: autocannon writes its Content-Length into the object it is given.
    requests: [
      {
        method: 'POST',
        path: '/collect',
        setupRequest: (req) => {
          const r = requests[Math.floor(pick() * requests.length)]!;
          return { ...req, ...r, headers: { ...r.headers } };
        },
      },
    ],
    overallRate: opts.overallRate,
  });
}

/**
 * autocannon resolves at the deadline; requests still in flight go on being served (up to 2.6 s
 * for the INSERT baseline's batches) and would load whatever is measured next: let them finish.
 */
function settle(result: LoadResult): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(10_000, result.latency.max + 250)));
}

/** Unmeasured traffic before a target's measured phases (WARMUP_SECONDS, half singles, half batches). */
async function warmUp(target: Target, reqs: { single: BenchRequest[]; batch: BenchRequest[] }): Promise<number> {
  if (WARMUP_SECONDS <= 0) return 0;
  const single = await load(target, reqs.single, WARMUP_SECONDS / 2, {});
  await settle(single);
  const batch = await load(target, reqs.batch, WARMUP_SECONDS / 2, {});
  await settle(batch);
  process.stderr.write(`  warm-up (${WARMUP_SECONDS} s, not measured): ${single['2xx'] + batch['2xx']} requests, non-2xx/errors ${single.non2xx + single.errors + batch.non2xx + batch.errors}\n`);
  return single['2xx'] + batch['2xx'] * 20; // events acknowledged
}

/**
 * One measured phase, summed over its slices. A phase and its baseline run in alternating slices
 * (BENCH_ROUNDS, default 2, each SECONDS / ROUNDS long), so a machine whose speed drifts within a
 * run (the no-op ceiling moved between 12k and 20k req/s within an hour here) weighs on both
 * sides of a ratio alike. p50 is the slices' request-weighted mean, p99 their maximum.
 */
class PhaseTotal {
  private seconds = 0;
  private ok = 0;
  private errors = 0;
  private p50Sum = 0;
  private p99 = NaN;
  private cpu = { tallyUs: 0, mainUs: 0, pgUs: 0, events: 0 };

  constructor(
    readonly name: string,
    readonly eventsPerRequest: number,
  ) {}

  add(result: LoadResult, seconds: number, cpu: { tallyUs: number; mainUs: number; pgUs: number } | undefined): void {
    const ok = result['2xx'];
    this.seconds += seconds;
    this.ok += ok;
    this.errors += result.non2xx + result.errors + result.timeouts;
    this.p50Sum += result.latency.p50 * ok;
    this.p99 = Number.isNaN(this.p99) ? result.latency.p99 : Math.max(this.p99, result.latency.p99);
    if (cpu && ok) {
      const events = ok * this.eventsPerRequest;
      this.cpu.tallyUs += cpu.tallyUs * events;
      this.cpu.mainUs += cpu.mainUs * events;
      this.cpu.pgUs += cpu.pgUs * events;
      this.cpu.events += events;
    }
  }

  phase(): Phase {
    if (!this.seconds) return skipped(this.name);
    const per = (sum: number) => (this.cpu.events ? sum / this.cpu.events : undefined);
    return {
      name: this.name,
      reqPerSec: this.ok / this.seconds,
      eventsPerSec: (this.ok * this.eventsPerRequest) / this.seconds,
      p50: this.ok ? Math.round(this.p50Sum / this.ok) : NaN,
      p99: this.p99,
      ok: this.ok,
      errors: this.errors,
      tallyUs: per(this.cpu.tallyUs),
      mainUs: per(this.cpu.mainUs),
      pgUs: per(this.cpu.pgUs),
    };
  }
}

/**
 * The fixed-rate phase's load: open loop by default (open-loop.ts: evenly spaced sends, latency
 * from each scheduled time); BENCH_FIXED_GENERATOR=autocannon measures it the way runs before
 * 2026-11-30 01:50 UTC did (autocannon's overallRate: per-second bursts, see open-loop.ts).
 */
const FIXED_GENERATOR = process.env.BENCH_FIXED_GENERATOR ?? 'open-loop';
/** Open loop only: seconds at the rate before the measured ones, left out of the latencies (open-loop.ts). */
const FIXED_LEAD_IN_SECONDS = Number(process.env.BENCH_FIXED_LEAD_IN_SECONDS ?? 2);

/** Runs one slice of a phase against a target and adds it to the phase's total. */
async function drive(total: PhaseTotal, target: Target, requests: BenchRequest[], seconds: number, opts: { overallRate?: number; connections?: number } = {}): Promise<void> {
  meter?.start(target.child.pid!);
  const result: LoadResult | OpenLoopResult =
    opts.overallRate && FIXED_GENERATOR === 'open-loop'
      ? await openLoop(target.base, requests, { rate: opts.overallRate, seconds, leadInSeconds: FIXED_LEAD_IN_SECONDS, connections: opts.connections ?? CONNECTIONS, pick: prng(requests.length) })
      : await load(target, requests, seconds, opts);
  const open = 'span' in result;
  if (open) {
    const lead = result.p99BySecond.slice(0, Math.ceil(FIXED_LEAD_IN_SECONDS)).join(' ');
    const measured = result.p99BySecond.slice(Math.ceil(FIXED_LEAD_IN_SECONDS)).join(' ');
    process.stderr.write(`  ${total.name}: p99 by second ${measured} ms (lead-in, not counted: ${lead} ms); sends late (generator busy or all connections waiting) p99 ${result.sendLag.p99} ms, max ${result.sendLag.max}\n`);
  }
  const cpu = meter?.stop(target.child.pid!, result['2xx'] * total.eventsPerRequest);
  await settle(result);
  const span = open ? result.span : seconds;
  total.add(result, span, cpu);
  const ok = result['2xx'];
  const cpuText = cpu === undefined ? '' : `, CPU/event: server ${cpu.tallyUs.toFixed(0)} µs (main thread ${cpu.mainUs.toFixed(0)}), PostgreSQL ${cpu.pgUs.toFixed(0)} µs`;
  const hwm = target.child.exitCode === null ? `, peak RSS so far ${vmHwmMb(target.child.pid!)} MB` : '';
  process.stderr.write(`  ${total.name} (${span} s): ${Math.round(ok / span)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx/errors ${result.non2xx + result.errors + result.timeouts}${cpuText}${hwm}\n`);
}

async function scrape(target: Target): Promise<string> {
  return (await fetch(`${target.base}/metrics`)).text();
}

/** A sample without labels from a /metrics text. */
function sample(metrics: string, name: string): number {
  return Number(new RegExp(`^${name} ([\\d.e+-]+)$`, 'm').exec(metrics)?.[1] ?? NaN);
}

/** prom-client's event-loop delay since its previous scrape (it resets the histogram at each). */
function eventLoopDelayText(metrics: string): string {
  const ms = (name: string) => (sample(metrics, name) * 1000).toFixed(1);
  return `event-loop delay p99 ${ms('nodejs_eventloop_lag_p99_seconds')} ms, max ${ms('nodejs_eventloop_lag_max_seconds')} ms`;
}

/** Every histogram of a /metrics text as cumulative counts by bucket bound (seconds). */
function histogramBuckets(metrics: string): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const m of metrics.matchAll(/^(\w+)_bucket\{le="([^"]+)"\} (\d+)$/gm)) {
    let buckets = out.get(m[1]!);
    if (!buckets) out.set(m[1]!, (buckets = new Map()));
    buckets.set(m[2]!, Number(m[3]));
  }
  return out;
}

/**
 * How a phase's observations (requests, write transactions) spread over a histogram's buckets,
 * e.g. "≤ 25 ms 80 %, ≤ 50 ms 15 %, …": whether a latency tail comes from the writer or elsewhere.
 */
function bucketDiffText(before = new Map<string, number>(), after = new Map<string, number>()): string {
  const total = (after.get('+Inf') ?? 0) - (before.get('+Inf') ?? 0);
  if (!total) return '(none)';
  const parts: string[] = [];
  let below = 0;
  for (const [le, n] of after) {
    const cumulative = n - (before.get(le) ?? 0);
    if (cumulative === below) continue;
    const label = le === '+Inf' ? 'more' : `≤ ${Number(le) * 1000} ms`;
    parts.push(`${label} ${(((cumulative - below) / total) * 100).toFixed(1)} %`);
    below = cumulative;
  }
  return `(${total} in all): ${parts.join(', ')}`;
}

function vmHwmMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

async function main(): Promise<void> {
  const started = Date.now();
  const r = (x: number) => Math.round(x).toLocaleString('en-US');
  const dir = mkdtempSync(join(tmpdir(), 'tally-bench-ingest-'));
  chmodSync(dir, 0o755); // PostgreSQL runs as `postgres` when we are root and must reach db/
  process.stderr.write(`bench:ingest — PostgreSQL in ${dir} (fsync on), ${SECONDS} s per phase, ${CONNECTIONS} connections\n`);
  const pg = await startEmbedded({ dataDir: join(dir, 'db'), settings: { max_connections: '100' } });
  const children: { stop(): Promise<number | null> }[] = [];
  try {
    meter = new CpuMeter(join(dir, 'db', 'pg'));
    const pool = createPool(pg.url, { max: 4 });
    const c = await pool.connect();
    await migrate(c);
    c.release();
    const copySite = await createSite(pool, { name: 'bench-copy', domain: 'shop.example' });
    const insertSite = await createSite(pool, { name: 'bench-insert', domain: 'shop.example' });

    const rand = prng(42);
    const uas = userAgents(1200, rand);
    const vs = visitors(5000, uas, rand);
    const build = (key: string) => ({ single: singles(key, vs, 5000, rand), batch: batches(key, vs, 400, 20, rand) });
    const copyReqs = build(copySite.publicKey);
    const insertReqs = build(insertSite.publicKey);
    process.stderr.write(`traffic: ${uas.length} user agents, ${vs.length} visitors, ${copyReqs.single.length} single beacons, ${copyReqs.batch.length} 20-event batches per target\n`);

    const tallyEnv = { DATABASE_URL: pg.url, TRUST_PROXY: 'true', RATE_LIMIT_PER_MINUTE: '0', JOBS_ENABLED: 'false', LOG_LEVEL: 'warn', TALLY_DATA_DIR: join(dir, 'data') };

    // Every served process starts and warms up first; the measured phases then alternate between
    // them slice by slice (PhaseTotal).
    const noop = PHASES.has('noop') ? await startChild(['bin/run-ts.mjs', 'loadtest/ingest/noop-server.ts'], {}) : undefined;
    const ins = PHASES.has('insert') ? await startChild([...SERVER_FLAGS, 'bin/run-ts.mjs', 'loadtest/ingest/insert-server.ts'], { ...tallyEnv, TALLY_DATA_DIR: join(dir, 'data-insert') }) : undefined;
    const tally = await startChild([...SERVER_FLAGS, 'bin/tally.mjs', 'serve'], tallyEnv);
    children.push(...[noop, ins, tally].filter((c) => c !== undefined));
    if (noop) {
      process.stderr.write('(a) no-op Hono endpoint\n');
      await warmUp(noop, copyReqs);
    }
    if (ins) {
      process.stderr.write('(b) Tally, one INSERT per event\n');
      await warmUp(ins, insertReqs);
    }
    process.stderr.write('Tally (COPY, group commit)\n');
    const warmedEvents = await warmUp(tally, copyReqs);

    const totals = {
      noopSingle: new PhaseTotal('no-op single', 1),
      noopBatch: new PhaseTotal('no-op 20-batch', 20),
      insSingle: new PhaseTotal('insert single', 1),
      insBatch: new PhaseTotal('insert 20-batch', 20),
      single: new PhaseTotal('tally single', 1),
      batch: new PhaseTotal('tally 20-batch', 20),
      fixed: new PhaseTotal(`tally single @ ${FIXED_RATE}/s`, 1),
    };
    const slice = SECONDS / ROUNDS;
    for (let round = 1; round <= ROUNDS; round++) {
      process.stderr.write(`round ${round} of ${ROUNDS}\n`);
      if (noop) await drive(totals.noopSingle, noop, copyReqs.single, slice);
      if (ins) await drive(totals.insSingle, ins, insertReqs.single, slice);
      if (PHASES.has('single')) await drive(totals.single, tally, copyReqs.single, slice);
      if (noop) await drive(totals.noopBatch, noop, copyReqs.batch, slice);
      if (ins) await drive(totals.insBatch, ins, insertReqs.batch, slice);
      if (PHASES.has('batch')) await drive(totals.batch, tally, copyReqs.batch, slice);
    }
    await noop?.stop();
    await ins?.stop();
    if (PHASES.has('fixed')) {
      // The second scrape's event-loop delay covers this phase (eventLoopDelayText).
      const before = histogramBuckets(await scrape(tally));
      await drive(totals.fixed, tally, copyReqs.single, SECONDS, { overallRate: FIXED_RATE, connections: 600 });
      const text = await scrape(tally);
      const after = histogramBuckets(text);
      for (const [name, what] of [['tally_ingest_request_seconds', 'requests as Tally timed them'], ['tally_ingest_write_seconds', 'writer transactions']] as const) {
        process.stderr.write(`  ${totals.fixed.name}: ${what}, by duration ${bucketDiffText(before.get(name), after.get(name))}\n`);
      }
      process.stderr.write(`  ${totals.fixed.name}: ${eventLoopDelayText(text)}\n`);
    }
    const [noopSingle, noopBatch, insSingle, insBatch, single, batch, fixed] = Object.values(totals).map((t) => t.phase()) as [Phase, Phase, Phase, Phase, Phase, Phase, Phase];
    const rssMb = vmHwmMb(tally.child.pid!);
    const metrics = await scrape(tally);
    const metric = (name: string) => sample(metrics, name);
    const batchesN = metric('tally_ingest_batch_rows_count');
    const gcMs = (kind: string) => Math.round(Number(new RegExp(`^nodejs_gc_duration_seconds_sum\\{kind="${kind}"\\} ([\\d.e+-]+)$`, 'm').exec(metrics)?.[1] ?? NaN) * 1000);
    process.stderr.write(
      // With the fixed phase, the delay was printed for it; this scrape would cover only the moments since.
      `  ${PHASES.has('fixed') ? '' : `${eventLoopDelayText(metrics)}; `}GC: minor ${gcMs('minor')} ms, major ${gcMs('major')} ms, incremental ${gcMs('incremental')} ms in all\n`,
    );
    process.stderr.write(`  writer: ${r(batchesN)} transactions, mean ${(metric('tally_ingest_batch_rows_sum') / batchesN).toFixed(1)} events each, mean ${((metric('tally_ingest_write_seconds_sum') / batchesN) * 1000).toFixed(1)} ms each\n`);
    const exit = await tally.stop();

    // Every 202 must be a stored event (heatmap beacons are one event, several rows).
    const stored = await pool.query<{ n: number }>({
      text: `SELECT (SELECT count(*) FROM pageviews WHERE site_id = $1::bigint) + (SELECT count(*) FROM events WHERE site_id = $1::bigint)
                  + (SELECT count(*) FROM errors WHERE site_id = $1::bigint) + (SELECT count(DISTINCT event_id) FROM heatmap_points WHERE site_id = $1::bigint) AS n`,
      values: [copySite.id],
    });
    const acknowledged = warmedEvents + single.ok + batch.ok * 20 + fixed.ok;
    await pool.end();

    const rows = [noopSingle, noopBatch, insSingle, insBatch, single, batch, fixed];
    const lines = [
      '| phase | requests/s | events/s | p50 ms | p99 ms | non-2xx | server CPU µs/event | of it main thread | PostgreSQL CPU µs/event |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...rows.map((p) => `| ${p.name} | ${r(p.reqPerSec)} | ${r(p.eventsPerSec)} | ${p.p50} | ${p.p99} | ${p.errors} | ${r(p.tallyUs ?? NaN)} | ${r(p.mainUs ?? NaN)} | ${r(p.pgUs ?? NaN)} |`),
    ];
    const batchRatio = batch.eventsPerSec / insBatch.eventsPerSec;
    const ceilingRatio = single.reqPerSec / noopSingle.reqPerSec;
    const checks = [
      [`20-event batches vs one INSERT per event: ${batchRatio.toFixed(1)}× (target ≥ 20×)`, batchRatio >= 20],
      [`single beacons vs no-op ceiling: ${(ceilingRatio * 100).toFixed(0)}% (target ≥ 30%)`, ceilingRatio >= 0.3],
      [`p99 at ${FIXED_RATE} beacons/s: ${fixed.p99} ms at ${r(fixed.reqPerSec)} req/s achieved (target ≤ 50 ms)`, fixed.p99 <= 50],
      [`Tally peak RSS (VmHWM): ${rssMb} MB (target ≤ 400 MB)`, rssMb <= 400],
      // ≥: requests still in flight when a phase's clock ran out are stored but not counted by autocannon
      [`every acknowledged event stored: ${r(stored.rows[0]!.n)} stored ≥ ${r(acknowledged)} acknowledged`, stored.rows[0]!.n >= acknowledged],
      [`SIGTERM exit code: ${exit}`, exit === 0],
    ] as const;
    console.log(lines.join('\n'));
    console.log('');
    for (const [text, pass] of checks) console.log(`${pass ? 'PASS' : 'MISS'}  ${text}`);
    console.log(`\n(total ${Math.round((Date.now() - started) / 1000)} s)`);
  } finally {
    for (const child of children) await child.stop().catch(() => undefined);
    await pg.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
