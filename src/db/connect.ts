import type { Config } from '../config.ts';
import { startEmbedded, type EmbeddedServer } from './embedded.ts';

export interface Database {
  url: string;
  /** The embedded server when DATABASE_URL is unset (stop it on exit if `owned`). */
  embedded?: EmbeddedServer;
  close(): Promise<void>;
}

/**
 * The database every command uses: DATABASE_URL when set, else the embedded PostgreSQL under
 * TALLY_DATA_DIR (joined when another Tally process already runs it, started otherwise).
 */
export async function openDatabase(config: Config): Promise<Database> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, close: async () => undefined };
  const embedded = await startEmbedded({ dataDir: config.TALLY_DATA_DIR, port: config.TALLY_PG_PORT });
  return { url: embedded.url, embedded, close: () => embedded.stop() };
}
