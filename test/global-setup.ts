import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbedded, type EmbeddedServer } from '../src/db/embedded.ts';
import { migrate } from '../src/db/migrate.ts';
import { chromiumPath, SKIP_NOTICE } from './browser/chromium.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser URL (database `postgres`) on the test server; test files clone the template. */
    pgAdminUrl: string;
    /** Data directory of the embedded test cluster ('' with TEST_DATABASE_URL). */
    pgDataDir: string;
  }
}

export const TEMPLATE_DB = 'tally_template';

/**
 * One PostgreSQL for the whole run — the embedded one in a temporary folder, or the server of
 * TEST_DATABASE_URL — with a migrated template database that every test file clones (as
 * graphile-worker does), so files run in parallel on databases of their own.
 */
export default async function setup(project: TestProject) {
  // Never a silent skip: one line when the browser tests (test/browser) cannot run here.
  if (!chromiumPath) process.stdout.write(`${SKIP_NOTICE}\n`);
  let embedded: EmbeddedServer | undefined;
  let dataDir = '';
  let adminUrl: string;
  if (process.env.TEST_DATABASE_URL) {
    const url = new URL(process.env.TEST_DATABASE_URL);
    url.pathname = '/postgres';
    adminUrl = url.toString();
  } else {
    dataDir = mkdtempSync(join(tmpdir(), 'tally-test-pg-'));
    embedded = await startEmbedded({
      dataDir,
      database: 'postgres',
      // Durability of the test cluster itself is not under test; these make it several times faster.
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '400' },
    });
    adminUrl = embedded.url;
  }

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  await admin.end();

  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${TEMPLATE_DB}`;
  const client = new pg.Client({ connectionString: templateUrl.toString() });
  await client.connect();
  await migrate(client);
  await client.end();

  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgDataDir', dataDir);

  return async () => {
    if (embedded) {
      await embedded.stop().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
}
