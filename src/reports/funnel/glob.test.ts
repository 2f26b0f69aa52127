import { describe, expect, it } from 'vitest';
import { excludePattern } from '../../tracker/browser/signals.ts';
import { createTestDatabase } from '../../../test/helpers/db.ts';
import { globMatches, globToRegexSource } from './glob.ts';

/** Funnel globs: §4.1's rules, the tracker's data-exclude agrees, and PostgreSQL's `~` agrees. */
const cases: [string, string, boolean][] = [
  ['/products/*', '/products/shoe', true],
  ['/products/*', '/products/', true], // `*` may be empty
  ['/products/*', '/products/a/b', false],
  ['/products/**', '/products/a/b', true],
  ['/**', '/', true],
  ['/', '/', true],
  ['/', '/x', false],
  ['/a.b', '/aXb', false],
  ['/a.b', '/a.b', true],
  ['/Cart', '/cart', false], // case-sensitive
  ['/p/*/reviews', '/p/42/reviews', true],
  ['/p/(x)+[y]{2}|$^\\', '/p/(x)+[y]{2}|$^\\', true],
  ['/search?q=*', '/search?q=x', true],
  ['*', 'abc', true],
  ['/a/**/z', '/a/z', false],
  ['/a/**/z', '/a/b/c/z', true],
];

describe('funnel globs', () => {
  it.each(cases)('%s ~ %s → %s (and the tracker agrees)', (glob, path, want) => {
    expect(globMatches(glob, path)).toBe(want);
    expect(excludePattern(glob)!.test(path)).toBe(want);
  });

  it('PostgreSQL matches the same', async () => {
    const db = await createTestDatabase();
    try {
      for (const [glob, path, want] of cases) {
        const { rows } = await db.pool.query<{ m: boolean }>({ text: 'SELECT $1::text ~ $2::text AS m', values: [path, globToRegexSource(glob)] });
        expect([glob, path, rows[0]!.m]).toEqual([glob, path, want]);
      }
    } finally {
      await db.drop();
    }
  });
});
