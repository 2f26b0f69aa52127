import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbedded, type EmbeddedServer } from '../../src/db/embedded.ts';

/**
 * A throwaway embedded PostgreSQL (fsync on) for one measuring script: started in a temp folder,
 * stopped and deleted afterwards whatever `run` does. `dir` is the folder, for the script's own
 * files; the cluster itself is `dir/db/pg` (postgresCpuMs reads it).
 */
export async function withTempPostgres(name: string, settings: Record<string, string>, run: (server: EmbeddedServer, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `tally-${name}-`));
  chmodSync(dir, 0o755); // PostgreSQL runs as `postgres` when we are root and must reach db/
  const server = await startEmbedded({ dataDir: join(dir, 'db'), settings });
  try {
    await run(server, dir);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
