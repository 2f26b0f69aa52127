import { ConfigError, loadConfig } from '../config.ts';
import { MigrationError } from '../db/migrate.ts';
import { UsageError, withDatabase } from './context.ts';
import { siteCommand, tokenCommand } from './sites.ts';

const HELP = `tally — analytics ingestion and reporting for online stores

  tally serve                                   serve HTTP (npm start)
  tally migrate                                 apply migrations and exit
  tally site create --name N --domain D [--timezone Z] [--currency C] [--origin URL]...
  tally site update --site ID --FIELD VALUE    e.g. --allowed-origins https://a.example,https://b.example --search-params q,s
  tally token create --site ID --scope read|write|admin
  tally jobs run <name>|all                     run scheduled jobs now
  tally jobs list                               list jobs and their last runs
  tally import <orders|customers|products|refunds|events> FILE --site ID [--format ndjson|csv]
  tally demo [--days 90] [--visitors 20000] [--seed 1] [--events N (scale mode)]
  tally experiment create --site ID --key K --variants control:0.5,treatment:0.5 [--metric order|event:NAME] [--status running]
  tally experiment list --site ID               experiment definitions
  tally build-tracker                           bundle src/tracker into /t.js
  tally erase --site ID --visitor V | --customer C   erase a person: raw rows, commerce, rollups corrected
  tally spool list|retry                        events PostgreSQL refused on replay: show, write again

Environment: DATABASE_URL (else an embedded PostgreSQL in TALLY_DATA_DIR, default ./.tally), PORT, ...
See README.md.`;

type Command = (args: string[]) => Promise<number>;

/** Commands whose modules are loaded only when used (keeps `tally site create` quick). */
const commands: Record<string, Command> = {
  serve: async () => (await import('./serve.ts')).serveCommand(),
  migrate: async () =>
    withDatabase(async ({ out }) => {
      out('migrations applied');
      return 0;
    }),
  site: siteCommand,
  token: tokenCommand,
  jobs: async (args) => (await import('./jobs.ts')).jobsCommand(args),
  import: async (args) => (await import('./import.ts')).importCommand(args),
  demo: async (args) => (await import('./demo.ts')).demoCommand(args),
  'build-tracker': async (args) => (await import('./build-tracker.ts')).buildTrackerCommand(args),
  spool: async (args) => (await import('./spool.ts')).spoolCommand(args),
  experiment: async (args) => (await import('./experiments.ts')).experimentCommand(args),
  erase: async (args) => (await import('./erase.ts')).eraseCommand(args),
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${HELP}\n`);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`unknown command "${name}"\n\n${HELP}\n`);
    return 2;
  }
  try {
    if (name !== 'serve') loadConfig(); // fail on a bad environment before touching anything
    return await command(args);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`tally ${name}: ${error.message}\n`);
      return 2;
    }
    if (error instanceof ConfigError || error instanceof MigrationError) {
      process.stderr.write(`tally ${name}: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`tally ${name}: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
