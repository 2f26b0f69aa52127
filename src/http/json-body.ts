import type { Context } from 'hono';
import type { z } from 'zod';
import { badRequest, describeZodError, jsonError } from './errors.ts';

/** The JSON bodies of /api/v1 are definitions and sufficient statistics: 64 KiB is generous. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

/** The request's JSON body: 413 over `maxBytes`, 400 when it is not JSON. */
export async function readJsonBody(c: Context, maxBytes = MAX_JSON_BODY_BYTES): Promise<unknown> {
  const text = await c.req.text();
  if (Buffer.byteLength(text) > maxBytes) throw jsonError(413, `body over ${maxBytes} bytes`);
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('body: must be a JSON object');
  }
}

/** `schema.parse` whose failure is a 400 naming the field ("steps.2.path: …"). */
export function parseBody<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw badRequest(describeZodError(parsed.error));
  return parsed.data;
}
