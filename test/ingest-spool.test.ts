import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgCtl, startEmbedded, type EmbeddedServer } from '../src/db/embedded.ts';
import { queryWithin } from '../src/db/deadline.ts';
import { migrate } from '../src/db/migrate.ts';
import { createPool, type Pool } from '../src/db/pool.ts';
import { SiteCache } from '../src/ingest/collect.ts';
import { SaltCache } from '../src/ingest/enrich/visitor.ts';
import { prepareEvent } from '../src/ingest/enrich/prepare.ts';
import { validateEvent } from '../src/ingest/validate/validate.ts';
import { Spool } from '../src/ingest/writer/spool.ts';
import type { PreparedEvent } from '../src/ingest/tables.ts';
import { createLogger } from '../src/log.ts';
import { createSite } from '../src/sites/sites.ts';
import { startTestServer } from './helpers/server.ts';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36';

describe('Spool file', () => {
  it('skips a torn tail record and replays the rest in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tally-spool-'));
    const ev = (id: string) => ({ table: 'pageviews', siteId: '1', eventId: id, ts: 1, receivedAt: 1, visitorId: 'v', sid: null, rows: [] }) as PreparedEvent;
    const a = new Spool(dir, createLogger('silent'));
    await a.init();
    await a.append([ev('a'), ev('b')]);
    await a.append([ev('c')]);
    await a.close();
    const [file] = readdirSync(dir);
    appendFileSync(join(dir, file!), '0000abcd [{"table":"pagev'); // crash mid-write
    const b = new Spool(dir, createLogger('silent'));
    await b.init();
    expect(b.events).toBe(3);
    const seen: string[] = [];
    await b.replay(async (batch) => {
      seen.push(...batch.map((e) => e.eventId));
    });
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(readdirSync(dir)).toEqual([]);
    expect(b.events).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('spool + replay across a PostgreSQL stop/start', () => {
  let pgDir: string;
  let spoolDir: string;
  let embedded: EmbeddedServer;
  let pool: Pool;
  let key: string;
  let siteId: string;

  beforeAll(async () => {
    pgDir = mkdtempSync(join(tmpdir(), 'tally-spool-pg-'));
    spoolDir = mkdtempSync(join(tmpdir(), 'tally-spool-dir-'));
    embedded = await startEmbedded({ dataDir: pgDir, settings: { fsync: 'off', shared_buffers: '32MB', max_connections: '50' } });
    pool = createPool(embedded.url, { max: 3 });
    const c = await pool.connect();
    await migrate(c);
    c.release();
    const site = await createSite(pool, { name: 'S', domain: 'shop.example' });
    key = site.publicKey;
    siteId = site.id;
  });
  afterAll(async () => {
    await pool?.end();
    await embedded?.stop().catch(() => undefined);
    rmSync(pgDir, { recursive: true, force: true });
    rmSync(spoolDir, { recursive: true, force: true });
  });

  const send = (url: string, path: string, id?: string) =>
    fetch(`${url}/collect`, { method: 'POST', headers: { 'user-agent': UA }, body: JSON.stringify({ site: key, type: 'pageview', url: `https://shop.example${path}`, id }) });
  const stored = async (prefix: string) =>
    (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pageviews WHERE path LIKE $1 || '%'", [prefix])).rows[0]!.n;
  async function waitFor(check: () => Promise<boolean>, ms = 30_000) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await check().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('timed out');
  }

  it('answers 202 while PostgreSQL is down, replays once it is back, never twice', async () => {
    const server = await startTestServer(embedded.url, { SPOOL_DIR: spoolDir });
    try {
      expect((await send(server.url, '/up')).status).toBe(202); // caches the site
      await pgCtl(pgDir, 'stop');
      const retried = crypto.randomUUID();
      for (let i = 0; i < 20; i++) expect((await send(server.url, `/down/${i}`)).status).toBe(202);
      expect((await send(server.url, '/down/r', retried)).status).toBe(202);
      expect((await send(server.url, '/down/r', retried)).status).toBe(202); // client retry
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(Number(/tally_ingest_spool_events (\d+)/.exec(metrics)?.[1])).toBe(22);
      await pgCtl(pgDir, 'start');
      await waitFor(async () => (await stored('/down/')) === 21);
      await waitFor(async () => readdirSync(spoolDir).length === 0);
      expect((await send(server.url, '/after')).status).toBe(202);
      expect(await stored('/after')).toBe(1);
    } finally {
      await server.close();
    }
  });

  /** SIGSTOP/SIGCONT to the postmaster and its children: connections stay open, nothing answers. */
  function freezePostgres(signal: 'SIGSTOP' | 'SIGCONT') {
    const postmaster = Number(readFileSync(join(pgDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    // A process listed by readdir may be gone before its stat is read (any process on the machine): skip it.
    const parentOf = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1];
      } catch {
        return undefined;
      }
    };
    const children = readdirSync('/proc')
      .map(Number)
      .filter((pid) => pid && parentOf(pid) === String(postmaster));
    for (const pid of [postmaster, ...children]) {
      try {
        process.kill(pid, signal);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH' || pid === postmaster) throw error; // a backend that just exited
      }
    }
  }

  it.each([
    ['on the writer thread', 'true'],
    ['in process', 'false'],
  ])('answers 202 within WRITE_TIMEOUT_MS when PostgreSQL stops answering without closing connections; stores each event once (writer %s)', async (_, thread) => {
    const dir = mkdtempSync(join(tmpdir(), 'tally-spool-frozen-'));
    const server = await startTestServer(embedded.url, { SPOOL_DIR: dir, WRITE_TIMEOUT_MS: '1000', INGEST_WRITER_THREAD: thread });
    const at = `/frozen-${thread}/`;
    let frozen = false;
    try {
      expect((await send(server.url, `${at}warm`)).status).toBe(202);
      const unseen = await createSite(pool, { name: 'never sent before', domain: 'other.example' });
      freezePostgres('SIGSTOP');
      frozen = true;
      const started = Date.now();
      const ids = Array.from({ length: 6 }, () => crypto.randomUUID());
      const answers = await Promise.all(ids.map((id, i) => send(server.url, `${at}${i}`, id)));
      expect(await Promise.all(answers.map(async (a) => `${a.status} ${await a.text()}`))).toEqual(ids.map(() => expect.stringMatching(/^202 /)));
      expect(Date.now() - started).toBeLessThan(8000); // one deadline (1 s) and the spool's fsync, not TCP's minutes
      expect((await send(server.url, `${at}r`, ids[0])).status).toBe(202); // a client retry, spooled too
      // A site key the server never looked up cannot be checked: 503 within the deadline, not a hang.
      const lookup = Date.now();
      const refused = await fetch(`${server.url}/collect`, { method: 'POST', headers: { 'user-agent': UA }, body: JSON.stringify({ site: unseen.publicKey, type: 'pageview', url: 'https://other.example/' }) });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBeTruthy();
      expect(Date.now() - lookup).toBeLessThan(8000); // the deadline, or the pool's 5 s connect timeout
      const probe = Date.now();
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      expect(Date.now() - probe).toBeLessThan(8000); // 3 s, or the pool's 5 s connect timeout
      freezePostgres('SIGCONT');
      frozen = false;
      await waitFor(async () => (await stored(at)) >= 7);
      await waitFor(async () => readdirSync(dir).filter((f) => f.endsWith('.spool')).length === 0);
      await new Promise((r) => setTimeout(r, 500));
      expect(await stored(at)).toBe(7); // warm + six, the retry not twice
    } finally {
      if (frozen) freezePostgres('SIGCONT');
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('site keys looked up before keep their last answer while PostgreSQL does not answer; a salt lookup fails in time', async () => {
    const own = createPool(embedded.url, { max: 2, connectionTimeoutMillis: 1000 });
    const sites = new SiteCache(own, { timeoutMs: 500, ttlMs: 100 });
    expect((await sites.lookup([key])).get(key)?.id).toBe(siteId);
    expect((await sites.lookup(['no-such-key'])).size).toBe(0);
    freezePostgres('SIGSTOP');
    try {
      await new Promise((r) => setTimeout(r, 200)); // both answers are past their TTL now
      const started = Date.now();
      expect((await sites.lookup([key, 'no-such-key'])).get(key)?.id).toBe(siteId);
      expect(Date.now() - started).toBeLessThan(8000); // the deadline, or the pool's 5 s connect timeout
      await expect(sites.lookup(['never-looked-up'])).rejects.toThrow(/Connection terminated|timeout/);
      await expect(new SaltCache({ query: (q) => queryWithin(own, q, 500) }).get('2031-01-01')).rejects.toThrow(/Connection terminated|timeout/);
    } finally {
      freezePostgres('SIGCONT');
    }
    expect((await sites.lookup([key])).get(key)?.id).toBe(siteId); // and fresh again once it answers
    await own.end();
  });

  it('drains into the spool at shutdown while PostgreSQL is down; the next start replays it', async () => {
    const server = await startTestServer(embedded.url, { SPOOL_DIR: spoolDir });
    expect((await send(server.url, '/warm')).status).toBe(202);
    await pgCtl(pgDir, 'stop');
    for (let i = 0; i < 5; i++) expect((await send(server.url, `/left/${i}`)).status).toBe(202);
    await server.close();
    expect(readdirSync(spoolDir).length).toBeGreaterThan(0);
    await pgCtl(pgDir, 'start');
    const next = await startTestServer(embedded.url, { SPOOL_DIR: spoolDir });
    try {
      await waitFor(async () => (await stored('/left/')) === 5);
    } finally {
      await next.close();
    }
  });

  it('sets aside an event PostgreSQL refuses on replay; the rest of the spool replays behind it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tally-spool-poison-'));
    const pageview = (path: string) => {
      const v = validateEvent({ site: key, type: 'pageview', url: `https://shop.example${path}` });
      if (!v.ok) throw new Error(v.error);
      const p = prepareEvent(v.event, { siteId, visitorIdMode: 'auto', ip: null, ua: UA, receivedAt: Date.now(), salt: Buffer.alloc(32) });
      if (p.bot) throw new Error('bot');
      return p.prepared;
    };
    const poison = pageview('/poison/bad');
    poison.rows[0]![23] = 'not-a-number'; // screen_w is an integer: PostgreSQL refuses the row
    const spool = new Spool(dir, createLogger('silent'));
    await spool.init();
    await spool.append([pageview('/poison/a'), poison, pageview('/poison/b')]);
    await spool.append([pageview('/poison/c')]);
    await spool.close();
    const server = await startTestServer(embedded.url, { SPOOL_DIR: dir });
    try {
      await waitFor(async () => (await stored('/poison/')) === 3);
      await waitFor(async () => readdirSync(dir).filter((f) => f.endsWith('.spool')).length === 0);
      const rejected = readFileSync(join(dir, 'rejected.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: { eventId: string }; error: string });
      expect(rejected.map((r) => r.event.eventId)).toEqual([poison.eventId]);
      expect(rejected[0]!.error).toMatch(/integer/);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/tally_ingest_spool_rejected_events_total 1/);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('503 with Retry-After when neither PostgreSQL nor the spool can take the events', async () => {
    const blocker = join(spoolDir, 'not-a-dir');
    writeFileSync(blocker, 'x');
    const server = await startTestServer(embedded.url, { SPOOL_DIR: join(blocker, 'spool') });
    try {
      expect((await send(server.url, '/w2')).status).toBe(202);
      await pgCtl(pgDir, 'stop');
      const res = await send(server.url, '/lost');
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBeTruthy();
    } finally {
      await server.close();
      await pgCtl(pgDir, 'start');
      rmSync(blocker);
    }
    expect(await stored('/lost')).toBe(0);
  });
});
