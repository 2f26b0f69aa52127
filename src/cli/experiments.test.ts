import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';
import { createSite } from '../sites/sites.ts';
import { UsageError } from './context.ts';
import { parseMetric, parseVariants } from './experiments.ts';

const run = promisify(execFile);
let db: TestDatabase;
let siteId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  siteId = (await createSite(db.pool, { name: 'cli', domain: 'cli.test' })).id;
});
afterAll(async () => db?.drop());

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run('node', ['bin/tally.mjs', 'experiment', ...args], { env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'silent' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('tally experiment', () => {
  it('parses --variants and --metric', () => {
    expect(parseVariants('control:0.5,treatment:0.5')).toEqual([{ key: 'control', weight: 0.5 }, { key: 'treatment', weight: 0.5 }]);
    expect(parseMetric('order')).toEqual({ key: 'orders', type: 'order', statistic: 'conversion' });
    expect(parseMetric('order:revenue')).toEqual({ key: 'revenue', type: 'order', statistic: 'revenue' });
    expect(parseMetric('event:add to cart')).toEqual({ key: 'add_to_cart', type: 'event', name: 'add to cart' });
    expect(() => parseMetric('pageview')).toThrow(UsageError);
    expect(() => parseVariants('control')).toThrow(UsageError);
  });

  it('creates and lists definitions; a bad weight exits 2 naming the field', async () => {
    const created = await cli('create', '--site', siteId, '--key', 'cta', '--variants', 'control:0.5,treatment:0.5', '--metric', 'order', '--metric', 'event:signup', '--status', 'running');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      key: 'cta', status: 'running', variants: [{ key: 'control', weight: 0.5 }, { key: 'treatment', weight: 0.5 }],
      metrics: [{ key: 'orders', type: 'order' }, { key: 'signup', type: 'event', name: 'signup' }],
    });
    const bad = await cli('create', '--site', siteId, '--key', 'x', '--variants', 'a:0.5,b:0.6');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/variants: weights must sum to 1/);
    const list = await cli('list', '--site', siteId);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { experiments: { key: string }[] }).experiments.map((e) => e.key)).toEqual(['cta']);
    expect((await cli('list')).code).toBe(2);
  }, 60_000);
});
