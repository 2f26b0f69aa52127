/**
 * The field rules of contract §2 shared by the zod schemas (schema.ts) and the fast path for the
 * common beacon shapes (fast-validate.ts), so that both apply exactly the same cleaning.
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;
const LINE_BREAKS = /[\t\n\r]+/g;

/** Removes NUL/control characters (keeping line breaks when `multiline`) and caps the length. */
// Any character cleanText would touch (control characters incl. tab/CR/LF, surrogates).
// eslint-disable-next-line no-control-regex
const DIRTY = /[\u0000-\u001f\u007f\ud800-\udfff]/;
/**
 * A surrogate without its partner is not Unicode: PostgreSQL receives it as U+FFFD (node-postgres
 * encodes UTF-8), so it is replaced here, and the value Tally keeps in memory (a visitor id keying
 * its session, say) is the one stored. Found by the fuzz tests: a `vid` of "\udfff" got no session.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function cleanText(value: string, max: number, multiline = false): string {
  // Most strings are clean and short: one test instead of two replaces per string per beacon.
  if (value.length <= max && !DIRTY.test(value)) return value;
  let s = value.replace(CONTROL, '');
  if (!multiline) s = s.replace(LINE_BREAKS, ' ');
  if (s.length > max) s = s.slice(0, max);
  // A cut must not leave half a surrogate pair (invalid UTF-8 for PostgreSQL).
  if (/[\ud800-\udbff]$/.test(s)) s = s.slice(0, -1);
  return s.replace(LONE_SURROGATE, '\ufffd');
}

export const MAX_URL = 4096;
const HTTP_URL = /^https?:\/\/[^\s/?#]+/i;
export const isHttpUrl = (s: string) => HTTP_URL.test(s) && URL.canParse(s);

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** props: flattened to dotted keys, at most 50 kept, string values cut to 500 characters. */
export type PropValue = string | number | boolean;
export const MAX_PROPS = 50;
export function flattenProps(input: Record<string, unknown>): Record<string, PropValue> {
  const out: Record<string, PropValue> = {};
  let count = 0;
  const walk = (value: unknown, key: string, depth: number) => {
    if (count >= MAX_PROPS) return;
    if (typeof value === 'string') {
      out[key] = cleanText(value, 500);
      count++;
    } else if (typeof value === 'number') {
      if (Number.isFinite(value)) {
        out[key] = value;
        count++;
      }
    } else if (typeof value === 'boolean') {
      out[key] = value;
      count++;
    } else if (value && typeof value === 'object' && !Array.isArray(value) && depth < 4) {
      for (const [k, v] of Object.entries(value)) walk(v, key ? `${key}.${cleanText(k, 100)}` : cleanText(k, 100), depth + 1);
    } else if (Array.isArray(value) && depth < 4) {
      value.slice(0, MAX_PROPS).forEach((v, i) => walk(v, `${key}.${i}`, depth + 1));
    }
  };
  walk(input, '', 0);
  return out;
}

export const CURRENCY = /^[A-Z]{3}$/;

