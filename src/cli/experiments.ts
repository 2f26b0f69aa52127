import { ZodError } from 'zod';
import { experimentInputSchema } from '../experiments/definition.ts';
import { ExperimentConflictError, listExperiments, saveExperiment } from '../experiments/store.ts';
import { describeZodError } from '../http/errors.ts';
import { parseFlags, required, UsageError, withDatabase } from './context.ts';

const USAGE = `usage: tally experiment create --site ID --key K --variants control:0.5,treatment:0.5
         [--metric order[:conversion|revenue|orders] | event:NAME]... [--status draft|running|stopped]
         [--name N] [--coverage 0..1] [--seed S]
       tally experiment list --site ID`;

/** `control:0.5,treatment:0.5` → variants; a bad weight is left to the schema (400-like message). */
export function parseVariants(text: string): { key: string; weight: number }[] {
  return text.split(',').map((part) => {
    const i = part.lastIndexOf(':');
    if (i <= 0) throw new UsageError(`--variants: "${part}" must be KEY:WEIGHT`);
    return { key: part.slice(0, i).trim(), weight: Number(part.slice(i + 1)) };
  });
}

/** `order`, `order:revenue`, `event:NAME` → a metric; its key is `orders`, `revenue`… or the event name. */
export function parseMetric(text: string): Record<string, unknown> {
  if (text === 'order' || text.startsWith('order:')) {
    const statistic = text.slice(6) || 'conversion';
    return { key: statistic === 'conversion' ? 'orders' : statistic, type: 'order', statistic };
  }
  if (text.startsWith('event:') && text.length > 6) {
    const name = text.slice(6);
    return { key: name.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 100), type: 'event', name };
  }
  throw new UsageError(`--metric: "${text}" must be order, order:STATISTIC or event:NAME`);
}

function siteOf(value: string | boolean | undefined): string {
  const site = required(value, '--site');
  if (!/^\d{1,18}$/.test(site)) throw new UsageError('--site must be a site id (a number)');
  return site;
}

/** `tally experiment create|list` (contract §7): the same definitions as the API, from the shell. */
export async function experimentCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'list') {
    const { values } = parseFlags(rest, { site: { type: 'string' } });
    const site = siteOf(values.site);
    return withDatabase(async ({ pool, out }) => {
      out(JSON.stringify({ experiments: await listExperiments(pool, site) }));
      return 0;
    });
  }
  if (action !== 'create') throw new UsageError(USAGE);
  const { values } = parseFlags(rest, {
    site: { type: 'string' }, key: { type: 'string' }, variants: { type: 'string' }, metric: { type: 'string', multiple: true },
    status: { type: 'string' }, name: { type: 'string' }, coverage: { type: 'string' }, seed: { type: 'string' },
  });
  const site = siteOf(values.site);
  const parsed = experimentInputSchema.safeParse({
    key: required(values.key, '--key'),
    name: values.name,
    seed: values.seed,
    variants: parseVariants(required(values.variants, '--variants')),
    coverage: values.coverage === undefined ? undefined : Number(values.coverage),
    metrics: (values.metric ?? ['order']).map(parseMetric),
    status: values.status,
  });
  if (!parsed.success) throw new UsageError(describeZodError(parsed.error));
  return withDatabase(async ({ pool, out, err }) => {
    const exists = await pool.query('SELECT 1 FROM sites WHERE id = $1::bigint', [site]);
    if (exists.rowCount === 0) {
      err(`no site ${site}`);
      return 1;
    }
    try {
      out(JSON.stringify((await saveExperiment(pool, site, parsed.data)).experiment));
      return 0;
    } catch (error) {
      if (error instanceof ExperimentConflictError) {
        err(error.message);
        return 1;
      }
      if (error instanceof ZodError) throw new UsageError(describeZodError(error));
      throw error;
    }
  });
}
