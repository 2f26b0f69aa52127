import { ConfigError, loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { startServer } from '../server.ts';

/** `npm start`: serve until SIGTERM/SIGINT, then drain and exit 0. */
export async function serveCommand(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`tally: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const logger = createLogger(config.LOG_LEVEL);
  const server = await startServer(config, logger);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down: draining accepted events');
      server.close().then(resolve, (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exitCode = 1;
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  logger.info('stopped');
  return process.exitCode === 1 ? 1 : 0;
}
