import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';
import { loadConfig } from '../config.ts';
import type { AppDeps } from '../http/deps.ts';
import { createLogger } from '../log.ts';
import { runJobsNow } from './run.ts';
import { listJobRuns } from './runs.ts';
import { createScheduler } from './scheduler.ts';
import type { JobDefinition } from './types.ts';

let db: TestDatabase;
let deps: AppDeps;

beforeAll(async () => {
  db = await createTestDatabase();
  deps = { config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent'), registry: new Registry() };
});
afterAll(async () => db?.drop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('scheduler', () => {
  it('runs a job on one instance at a time, records runs, backs off failures without stopping others', async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    let slowRuns = 0;
    let failRuns = 0;
    const slow: JobDefinition = {
      name: 'test-slow', description: '', intervalSeconds: 1,
      run: async () => {
        concurrent += 1;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await sleep(300);
        concurrent -= 1;
        slowRuns += 1;
        return { rows: 1 };
      },
    };
    const failing: JobDefinition = {
      name: 'test-fail', description: '', intervalSeconds: 1,
      run: async () => {
        failRuns += 1;
        throw new Error('boom');
      },
    };
    const a = createScheduler(deps, { jobs: [slow, failing], tickMs: 50 });
    const b = createScheduler(deps, { jobs: [slow, failing], tickMs: 50 });
    a.start();
    b.start();
    await sleep(3500);
    await Promise.all([a.stop(), b.stop()]);
    expect(maxConcurrent).toBe(1);
    // ~1 run per second across both instances, not one per instance per tick.
    expect(slowRuns).toBeGreaterThanOrEqual(2);
    expect(slowRuns).toBeLessThanOrEqual(4);
    // Backoff: 5 s after the first failure, so exactly one failed run in 3.5 s.
    expect(failRuns).toBe(1);
    const { runs, jobs } = await listJobRuns(db.pool, { limit: 100 });
    expect(runs.filter((r) => r.job === 'test-slow' && r.rows === 1 && r.finishedAt)).toHaveLength(slowRuns);
    expect(runs.find((r) => r.job === 'test-fail')!.error).toBe('boom');
    expect(jobs.find((j) => (j as { name: string }).name === 'test-fail')).toMatchObject({ consecutiveFailures: 1 });
  });

  it('stop() aborts and waits for a running job', async () => {
    let finished = false;
    const long: JobDefinition = {
      name: 'test-long', description: '', intervalSeconds: 60,
      run: async (ctx) => {
        while (!ctx.signal.aborted) await sleep(20);
        finished = true;
        return { rows: 0 };
      },
    };
    const s = createScheduler(deps, { jobs: [long], tickMs: 20 });
    s.start();
    await sleep(300);
    await s.stop();
    expect(finished).toBe(true);
  });

  it('runJobsNow runs the real registry and reports each outcome', async () => {
    const outcomes = await runJobsNow(deps, 'all');
    expect(outcomes.length).toBeGreaterThan(0);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    await expect(runJobsNow(deps, 'nope')).rejects.toThrow(/unknown job/);
  });
});
