import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, type Config } from '../config.ts';
import { openDatabase } from '../db/connect.ts';
import { migrate } from '../db/migrate.ts';
import { createPool, type Pool } from '../db/pool.ts';
import { createLogger, type Logger } from '../log.ts';

export class UsageError extends Error {}

export interface CliContext {
  config: Config;
  pool: Pool;
  logger: Logger;
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * Runs a CLI command against the same database `npm start` uses (contract §1: every command
 * reads the same environment), with migrations applied first.
 */
export async function withDatabase<T>(work: (ctx: CliContext) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const db = await openDatabase(config);
  const pool = createPool(db.url, { max: Math.max(4, config.PG_POOL_MAX) });
  try {
    const client = await pool.connect();
    try {
      await migrate(client);
    } finally {
      client.release();
    }
    return await work({
      config,
      pool,
      logger,
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
    });
  } finally {
    await pool.end();
    await db.close();
  }
}

/** node:util parseArgs with errors turned into UsageError (exit code 2). */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function required(value: string | boolean | undefined, flag: string): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`${flag} is required`);
  return value;
}
