import { fastValidate } from './fast-validate.ts';
import { TYPES, zodValidate, type Validation } from './schema.ts';

/**
 * Validates one raw event; `reason` is a short class for metrics (`missing_site`, `invalid_field`,
 * …) and `error` the message for the client ("url: must be an absolute http(s) URL").
 */
export function validateEvent(raw: unknown): Validation {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, error: 'event must be a JSON object', reason: 'not_object' };
  }
  const r = raw as Record<string, unknown>;
  if (r.site === undefined || r.site === null || r.site === '') {
    return { ok: false, error: 'site: required (the site public key)', reason: 'missing_site' };
  }
  if (typeof r.type !== 'string' || !(TYPES as readonly string[]).includes(r.type)) {
    return {
      ok: false,
      error: r.type === undefined ? `type: required (one of ${TYPES.join(', ')})` : `type: must be one of ${TYPES.join(', ')}`,
      reason: 'invalid_type',
    };
  }
  // The hand-written fast path accepts the common, valid shapes; zod decides every other case
  // and names the bad field (fast-validate.test.ts holds the two equal).
  const fast = fastValidate(r);
  return fast ? { ok: true, event: fast } : zodValidate(r);
}
