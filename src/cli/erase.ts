import { erasePerson, eraseBodySchema } from '../privacy/erase.ts';
import { describeZodError } from '../http/errors.ts';
import { parseFlags, required, UsageError, withDatabase } from './context.ts';

const USAGE = 'usage: tally erase --site ID --visitor V | --customer C';

/**
 * `tally erase --site ID --visitor V | --customer C` (contract §1, §8): erases the person and
 * prints the same JSON line as POST /api/v1/sites/{siteId}/erase; audited with no actor token.
 */
export async function eraseCommand(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { site: { type: 'string' }, visitor: { type: 'string' }, customer: { type: 'string' } });
  const site = required(values.site, '--site');
  if (!/^\d{1,18}$/.test(site)) throw new UsageError('--site must be a site id (a number)');
  const parsed = eraseBodySchema.safeParse({ visitor_id: values.visitor, customer_id: values.customer });
  if (!parsed.success) {
    const flags = describeZodError(parsed.error).replaceAll('visitor_id', '--visitor').replaceAll('customer_id', '--customer');
    throw new UsageError(`${flags}\n${USAGE}`);
  }
  return withDatabase(async ({ pool, out }) => {
    const exists = await pool.query({ text: 'SELECT 1 FROM sites WHERE id = $1::bigint', values: [site] });
    if (!exists.rowCount) throw new UsageError(`no site ${site}`);
    const result = await erasePerson(pool, { siteId: site, visitorId: parsed.data.visitor_id, customerId: parsed.data.customer_id, actorTokenId: null, via: 'cli' });
    out(JSON.stringify(result));
    return 0;
  });
}
