import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { startServer, type RunningServer } from '../../src/server.ts';

/**
 * A real Tally (HTTP on a free port, real ingestion pipeline) on a test database. Jobs are off
 * unless asked for, so tests run them explicitly.
 */
export async function startTestServer(databaseUrl: string, env: Record<string, string> = {}): Promise<RunningServer> {
  const config: Config = loadConfig({
    DATABASE_URL: databaseUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    JOBS_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    TALLY_DATA_DIR: `/tmp/tally-test-data-${process.pid}-${Date.now()}`,
    ...env,
  });
  return startServer(config, createLogger(config.LOG_LEVEL));
}
