/**
 * assign.ts against GrowthBook's own SDK test cases: growthbook-sdk-cases.json holds the `hash`,
 * `getBucketRange` and `chooseVariation` sections (and `specVersion`, 0.8.0), unchanged, of
 * https://github.com/growthbook/growthbook/blob/8f1db4456915a8e7b7faf23d5632ca7219d2f469/packages/sdk-js/test/cases.json
 * (repo growthbook/growthbook, path packages/sdk-js/test/cases.json, commit
 * 8f1db4456915a8e7b7faf23d5632ca7219d2f469; the file last changed in 05fe635c749bf7bac92cc5221cf523b69d572ada).
 * They are run as the SDK's packages/sdk-js/test/json.test.ts runs them. Then determinism,
 * uniformity, coverage and weight-0 checks of assignVariant.
 */
import gammainc from '@stdlib/math-base-special-gammainc';
import { describe, expect, it } from 'vitest';
import {
  assignVariant,
  chooseVariation,
  fnv1a32,
  getBucketRanges,
  hash,
  hashV1,
  hashV2,
  type AssignableExperiment,
  type VariationRange,
} from './assign.ts';
import cases from './growthbook-sdk-cases.json' with { type: 'json' };

type HashCase = [seed: string, value: string, version: number, expected: number | null];
type BucketCase = [name: string, args: [number, number, number[] | null], expected: VariationRange[]];
type ChooseCase = [name: string, n: number, ranges: VariationRange[], expected: number];

const hashCases = cases.hash as HashCase[];
const bucketCases = cases.getBucketRange as BucketCase[];
const chooseCases = cases.chooseVariation as ChooseCase[];

/** The SDK's hashFnv32a, verbatim, as a reference for fnv1a32's Math.imul form. */
function sdkHashFnv32a(str: string): number {
  let hval = 0x811c9dc5;
  const l = str.length;
  for (let i = 0; i < l; i++) {
    hval ^= str.charCodeAt(i);
    hval += (hval << 1) + (hval << 4) + (hval << 7) + (hval << 8) + (hval << 24);
  }
  return hval >>> 0;
}

/** Upper tail of the chi-square distribution of the observed counts against expected shares. */
function chiSquareP(counts: number[], shares: number[]): number {
  const total = counts.reduce((s, c) => s + c, 0);
  let chi2 = 0;
  counts.forEach((c, i) => {
    const e = total * (shares[i] as number);
    chi2 += (c - e) ** 2 / e;
  });
  return gammainc(chi2 / 2, (counts.length - 1) / 2, true, true);
}

function experiment(weights: number[], coverage = 1, key = 'exp-uniform'): AssignableExperiment {
  return { key, coverage, variants: weights.map((weight, i) => ({ key: `v${i}`, weight })) };
}

function tally(def: AssignableExperiment, ids: number, prefix = 'visitor-'): { counts: number[]; out: number } {
  const counts = def.variants.map(() => 0);
  let out = 0;
  for (let i = 0; i < ids; i++) {
    const v = assignVariant(def, `${prefix}${i}`);
    if (v === null) out++;
    else counts[def.variants.findIndex((x) => x.key === v)]! += 1;
  }
  return { counts, out };
}

describe('GrowthBook SDK cases', () => {
  it('has the sections', () => {
    expect(cases.specVersion).toBe('0.8.0');
    expect(hashCases).toHaveLength(15);
    expect(bucketCases).toHaveLength(13);
    expect(chooseCases).toHaveLength(13);
  });

  it.each(hashCases)('hash[%#] hash(`%s`, `%s`, %s)', (seed, value, version, expected) => {
    expect(hash(seed, value, version)).toEqual(expected);
    if (version === 2) expect(hashV2(seed, value)).toBe(expected);
    if (version === 1) expect(hashV1(seed, value)).toBe(expected);
  });

  it.each(bucketCases)('getBucketRange[%#] %s', (_name, [numVariations, coverage, weights], expected) => {
    const ranges = getBucketRanges(numVariations, coverage, weights ?? undefined);
    expect(ranges).toHaveLength(expected.length);
    ranges.forEach((range, i) => {
      const want = expected[i] as VariationRange;
      expect(range[0]).toBeCloseTo(want[0], 12);
      expect(range[1]).toBeCloseTo(want[1], 12);
    });
  });

  it.each(chooseCases)('chooseVariation[%#] %s', (_name, n, ranges, expected) => {
    expect(chooseVariation(n, ranges)).toBe(expected);
  });
});

describe('fnv1a32', () => {
  it('matches the published FNV-1a 32-bit vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it("equals the SDK's shift-and-add form, including non-ASCII and lone surrogates", () => {
    const strings = ['', 'a', 'ümlaut', '日本語', '😀 emoji', '\ud800', 'x'.repeat(1000)];
    let seed = 12345;
    for (let i = 0; i < 2000; i++) {
      let s = '';
      const len = i % 40;
      for (let j = 0; j < len; j++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        s += String.fromCharCode(seed >>> 16);
      }
      strings.push(s);
    }
    for (const s of strings) expect(fnv1a32(s)).toBe(sdkHashFnv32a(s));
  });
});

describe('getBucketRanges extras', () => {
  it('defaults coverage to 1 and weights to equal', () => {
    expect(getBucketRanges(2, undefined)).toEqual([[0, 0.5], [0.5, 1]]);
    expect(getBucketRanges(0, 1)).toEqual([]);
  });
});

describe('assignVariant', () => {
  it('is deterministic, and uses the seed (default the key)', () => {
    const def = experiment([0.5, 0.5], 1, 'checkout-button');
    for (let i = 0; i < 200; i++) {
      const id = `vid-${i}`;
      expect(assignVariant(def, id)).toBe(assignVariant({ ...def, variants: [...def.variants] }, id));
      expect(assignVariant(def, id)).toBe(assignVariant({ ...def, seed: 'checkout-button' }, id));
      expect(assignVariant(def, id)).toBe(assignVariant({ ...def, seed: null }, id));
    }
    // hashV2('seed', 'a') = 0.0505 (SDK case): in the first half.
    expect(assignVariant({ ...experiment([0.5, 0.5]), seed: 'seed' }, 'a')).toBe('v0');
    // hashV2('seed', 'b') = 0.2696: outside [0, 0.25) ∪ [0.5, 0.75) at coverage 0.5.
    expect(assignVariant({ ...experiment([0.5, 0.5], 0.5), seed: 'seed' }, 'b')).toBeNull();
    const differs = Array.from({ length: 200 }, (_, i) => `vid-${i}`).some(
      (id) => assignVariant({ ...def, seed: 'other-seed' }, id) !== assignVariant(def, id),
    );
    expect(differs).toBe(true);
  });

  it('splits 100,000 ids 50/50 uniformly', () => {
    const { counts, out } = tally(experiment([0.5, 0.5]), 100_000);
    expect(out).toBe(0);
    const sd = Math.sqrt(100_000 * 0.25);
    expect(Math.abs((counts[0] as number) - 50_000)).toBeLessThan(4 * sd);
    expect(chiSquareP(counts, [0.5, 0.5])).toBeGreaterThan(0.001);
  });

  it('splits 100,000 ids 20/30/50 uniformly', () => {
    const shares = [0.2, 0.3, 0.5];
    const { counts, out } = tally(experiment(shares, 1, 'exp-three'), 100_000, 'u');
    expect(out).toBe(0);
    shares.forEach((p, i) => {
      const sd = Math.sqrt(100_000 * p * (1 - p));
      expect(Math.abs((counts[i] as number) - 100_000 * p)).toBeLessThan(4 * sd);
    });
    expect(chiSquareP(counts, shares)).toBeGreaterThan(0.001);
  });

  it('spreads hashV2 uniformly over 10 deciles', () => {
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[Math.floor(hashV2('exp-deciles', `id${i}`) * 10)]! += 1;
    expect(chiSquareP(counts, new Array<number>(10).fill(0.1))).toBeGreaterThan(0.001);
  });

  it('leaves about half out at coverage 0.5, the rest split evenly', () => {
    const { counts, out } = tally(experiment([0.5, 0.5], 0.5, 'exp-half'), 100_000);
    const sd = Math.sqrt(100_000 * 0.25);
    expect(Math.abs(out - 50_000)).toBeLessThan(4 * sd);
    expect(chiSquareP(counts, [0.5, 0.5])).toBeGreaterThan(0.001);
  });

  it('leaves everyone out at coverage 0', () => {
    expect(tally(experiment([0.5, 0.5], 0), 1000).out).toBe(1000);
  });

  it('never assigns a weight-0 variant', () => {
    for (const weights of [[0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]]) {
      const { counts, out } = tally(experiment(weights, 1, 'exp-zero'), 20_000);
      expect(out).toBe(0);
      weights.forEach((w, i) => {
        if (w === 0) expect(counts[i]).toBe(0);
        else expect(counts[i]).toBeGreaterThan(9_000);
      });
    }
  });
});
