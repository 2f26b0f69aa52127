import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { startServer } from '../../src/server.ts';
import { createInsertWriter } from './insert-writer.ts';

/**
 * Baseline (b) of `npm run bench:ingest`: Tally as `npm start` serves it (same environment, routes
 * and enrichment) but with the one-INSERT-per-event writer; stops on SIGTERM like `npm start`.
 */
const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL);
const server = await startServer(config, logger, { createWriter: createInsertWriter });
await new Promise<void>((resolve) => {
  process.once('SIGTERM', resolve);
  process.once('SIGINT', resolve);
});
await server.close();
