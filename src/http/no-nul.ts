import type { MiddlewareHandler } from 'hono';
import { badRequest } from './errors.ts';

/**
 * PostgreSQL text cannot hold U+0000, so no API input may carry one: a NUL in the path or in a
 * query parameter of `/api/v1/*` is a 400 naming where it is, before any handler hands it to SQL
 * (found by `npm run fuzz`: `GET …/reports/vitals?path=%00` answered 500). Bodies are checked by
 * their own schemas, and /collect strips control characters at validation.
 */
export const refuseNul: MiddlewareHandler = async (c, next) => {
  let path: string;
  try {
    path = decodeURIComponent(new URL(c.req.url).pathname);
  } catch {
    throw badRequest('path: not valid percent-encoding');
  }
  if (path.includes('\u0000')) throw badRequest('path: must not contain NUL (\\u0000) characters');
  for (const [name, value] of new URL(c.req.url).searchParams) {
    if (name.includes('\u0000') || value.includes('\u0000')) {
      throw badRequest(`${name.split('\u0000').join('\\u0000').slice(0, 100)}: must not contain NUL (\\u0000) characters`);
    }
  }
  await next();
};
