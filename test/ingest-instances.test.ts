import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/db/embedded.ts';
import { sessionIdFor } from '../src/ingest/writer/sessions.ts';
import { createSite } from '../src/sites/sites.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { startTestServer } from './helpers/server.ts';

const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15';
let db: TestDatabase;
let key: string;
let siteId: string;
beforeAll(async () => {
  db = await createTestDatabase();
  const site = await createSite(db.pool, { name: 'I', domain: 'shop.example' });
  key = site.publicKey;
  siteId = site.id;
});
afterAll(async () => db?.drop());

const beacon = (base: string, body: Record<string, unknown>) =>
  fetch(`${base}/collect`, { method: 'POST', headers: { 'user-agent': UA }, body: JSON.stringify({ site: key, type: 'pageview', ...body }) });

describe('two writer instances on one database', () => {
  it('agree on sessions for one visitor whose beacons alternate between them', async () => {
    const a = await startTestServer(db.url);
    const b = await startTestServer(db.url);
    try {
      const t0 = Date.now() - 10 * 3600_000;
      const plan = [0, 1, 2, 40, 41, 45].map((m, i) => ({ ts: t0 + m * 60_000, via: i % 2 ? b : a }));
      for (const [i, p] of plan.entries()) {
        expect((await beacon(p.via.url, { url: `https://shop.example/alt/${i}`, vid: 'alt', ts: p.ts })).status).toBe(202);
      }
      const rows = (await db.pool.query("SELECT session_id FROM pageviews WHERE visitor_id = 'alt' ORDER BY occurred_at")).rows.map((r) => r.session_id);
      const s1 = sessionIdFor(siteId, 'alt', plan[0]!.ts);
      const s2 = sessionIdFor(siteId, 'alt', plan[3]!.ts);
      expect(rows).toEqual([s1, s1, s1, s2, s2, s2]);

      // Concurrent beacons of one visitor through both instances at once: one session, no duplicates.
      const t1 = Date.now() - 3600_000;
      const all = await Promise.all(
        Array.from({ length: 40 }, (_, i) => beacon((i % 2 ? b : a).url, { url: `https://shop.example/conc/${i}`, vid: 'conc', ts: t1 + i * 1000 })),
      );
      expect(all.every((r) => r.status === 202)).toBe(true);
      const conc = (await db.pool.query("SELECT DISTINCT session_id FROM pageviews WHERE visitor_id = 'conc'")).rows;
      expect(conc).toHaveLength(1);
      expect((await db.pool.query("SELECT count(*)::int AS n FROM pageviews WHERE visitor_id = 'conc'")).rows[0].n).toBe(40);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('SIGTERM', () => {
  it('npm start drains: exit 0 and every 202-acknowledged beacon is stored', async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'tally-drain-'));
    const child = spawn(process.execPath, ['bin/tally.mjs', 'serve'], {
      env: { ...process.env, DATABASE_URL: db.url, PORT: String(port), HOST: '127.0.0.1', JOBS_ENABLED: 'false', LOG_LEVEL: 'warn', TALLY_DATA_DIR: dataDir, BATCH_LINGER_MS: '40' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;
    const end = Date.now() + 60_000;
    while (Date.now() < end && !(await fetch(`${base}/healthz`).then((r) => r.ok, () => false))) await new Promise((r) => setTimeout(r, 200));

    const acked: string[] = [];
    let sending = true;
    const senders = Array.from({ length: 8 }, async () => {
      while (sending) {
        const id = crypto.randomUUID();
        const ok = await beacon(base, { url: 'https://shop.example/drain', id }).then((r) => r.status === 202, () => false);
        if (ok) acked.push(id);
        else break;
      }
    });
    await new Promise((r) => setTimeout(r, 700));
    child.kill('SIGTERM');
    const code = await exited;
    sending = false;
    await Promise.all(senders);
    expect(code, stderr).toBe(0);
    expect(acked.length).toBeGreaterThan(10);
    const stored = await db.pool.query<{ id: string }>('SELECT event_id::text AS id FROM pageviews WHERE event_id = ANY($1::uuid[])', [acked]);
    expect(stored.rows.length).toBe(acked.length);
    rmSync(dataDir, { recursive: true, force: true });
  });
});
