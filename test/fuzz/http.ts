import { expect } from 'vitest';

/** What every answer to hostile input must be: below 500, and a 4xx says why in `error`. */
export async function expectSane(res: Response, what: string): Promise<{ status: number; body: unknown }> {
  const text = await res.text();
  expect(res.status, `${what} → ${res.status} ${text.slice(0, 300)}`).toBeLessThan(500);
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text);
  if (res.status >= 400) {
    // `error` names the problem; all-or-nothing batches answer `errors: [{index, error}]` instead.
    const b = body as { error?: unknown; errors?: unknown };
    expect(typeof b.error === 'string' || Array.isArray(b.errors), `${what} → ${res.status} without an error message: ${text.slice(0, 200)}`).toBe(true);
  }
  return { status: res.status, body };
}

export const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
