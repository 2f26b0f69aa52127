import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError } from 'zod';
import type { Logger } from '../log.ts';

/**
 * One error path for the whole app (Hono's onError): HTTPException → its status with a JSON
 * `{error}` body; ZodError → 400 naming the field; a database that is down → 503 + Retry-After;
 * anything else → 500, logged, with no internals in the body.
 */
export function badRequest(message: string, extra: Record<string, unknown> = {}): HTTPException {
  return jsonError(400, message, extra);
}

export function jsonError(status: ContentfulStatusCode, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): HTTPException {
  const body = JSON.stringify({ error: message, ...extra });
  return new HTTPException(status, {
    message,
    res: new Response(body, { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } }),
  });
}

export function unavailable(message: string, retryAfterSeconds = 5): HTTPException {
  return jsonError(503, message, {}, { 'retry-after': String(retryAfterSeconds) });
}

/** "from: must be a date YYYY-MM-DD; tz: ..." — the names of the bad parameters first. */
export function describeZodError(error: ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`)
    .join('; ');
}

/** Connection-level failures of node-postgres / PostgreSQL that mean "try again later". */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  if (!e) return false;
  const codes = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08006'];
  if (e.code && codes.includes(e.code)) return true;
  return /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED/i.test(e.message ?? '');
}

export function errorHandler(logger: Logger) {
  return (error: Error, c: Context): Response => {
    if (error instanceof HTTPException) return error.getResponse();
    if (error instanceof ZodError) {
      return c.json({ error: describeZodError(error) }, 400);
    }
    if (isDatabaseUnavailable(error)) {
      logger.warn({ err: error }, 'database unavailable');
      c.header('Retry-After', '5');
      return c.json({ error: 'database unavailable, retry later' }, 503);
    }
    logger.error({ err: error, path: c.req.path }, 'unhandled error');
    return c.json({ error: 'internal error' }, 500);
  };
}
