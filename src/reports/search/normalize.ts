/**
 * The one normalization of a site-search query (contract §4.6), used by the rollup job for
 * `search` events, `search_click` events and search-parameter pageviews alike, so the three
 * always group together. Done in TypeScript (not SQL) so there is one definition to test.
 *
 * Steps, in order:
 * 1. NFC: "é" may arrive composed (U+00E9) or decomposed (e + U+0301, e.g. from macOS input or
 *    a URL copied from a file name); both must be one query, and PostgreSQL compares text byte-wise.
 * 2. Unicode lowercasing (`toLowerCase`, locale-independent: the same on every server), then NFC
 *    again because lowercasing can produce a decomposed sequence ("İ" → "i" + U+0307).
 * 3. Every run of whitespace (Unicode White_Space, incl. NBSP and tabs) becomes one space.
 * 4. Leading and trailing punctuation (Unicode \p{P}) and whitespace are stripped, repeatedly
 *    ("  ¿shoes? " → "shoes", "\"red  dress\"." → "red dress"); inner punctuation stays ("t-shirt").
 * An empty result is no query (`null`): such a search is not counted.
 */
const SPACES = /\s+/gu;
const EDGES = /^[\p{P}\s]+|[\p{P}\s]+$/gu;

export function normalizeQuery(raw: unknown): string | null {
  if (typeof raw !== 'string' && typeof raw !== 'number') return null;
  const text = String(raw).normalize('NFC').toLowerCase().normalize('NFC').replace(SPACES, ' ').replace(EDGES, '');
  return text === '' ? null : text;
}

/** `results` as a count: a non-negative integer (or such a numeric string), else unknown (null). */
export function resultCount(raw: unknown): number | null {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,15}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : null;
}

/** `position` of a click: a finite number (or numeric string), else none. */
export function clickPosition(raw: unknown): number | null {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  return Number.isFinite(n) ? n : null;
}

/**
 * The search query a pageview URL carries: the first of the site's `search_params` present with a
 * value that normalizes to a query (URLSearchParams decoding: `+` is a space). Null otherwise.
 */
export function urlSearchQuery(url: string, params: readonly string[]): string | null {
  if (params.length === 0) return null;
  let search: URLSearchParams;
  try {
    search = new URL(url).searchParams;
  } catch {
    return null;
  }
  for (const name of params) {
    for (const value of search.getAll(name)) {
      const q = normalizeQuery(value);
      if (q !== null) return q;
    }
  }
  return null;
}
