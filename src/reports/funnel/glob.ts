/**
 * Funnel path globs (§4.1) → an anchored regular expression source, the same translation as the
 * tracker's `data-exclude` (src/tracker/browser/signals.ts `excludePattern`; glob.test.ts holds
 * the two equal): `*` is any run of characters other than `/` (possibly empty), `**` any run,
 * everything else literal. The source is valid both as a JavaScript RegExp and as a PostgreSQL
 * ARE (`path ~ $n`): only `.*`, `[^/]*` and backslash-escaped punctuation appear in it.
 */
export function globToRegexSource(glob: string): string {
  const body = glob
    .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\*\*|\*/g, (m) => (m === '*' ? '[^/]*' : '.*'));
  return `^(?:${body})$`;
}

export function globMatches(glob: string, path: string): boolean {
  return new RegExp(globToRegexSource(glob)).test(path);
}
