/**
 * Experiment assignment (contract §7), the same as GrowthBook's JavaScript SDK with hashing
 * version 2 (packages/sdk-js/src/util.ts: hashFnv32a, hash, getBucketRanges, chooseVariation), so
 * the browser tracker, a store back end and the report put a visitor in the same variant:
 *
 *   n = (fnv1a32(String(fnv1a32(seed + id))) % 10000) / 10000
 *
 * and variant i covers [c_i, c_i + coverage · w_i) with c_i the sum of the weights before i.
 *
 * The tracker bundles this file (its budget is 3,200 bytes gzipped): keep it free of Node APIs,
 * dependencies, classes and tables. Unlike the SDK, getBucketRanges does not console.error on a
 * bad coverage or weights (the SDK only does so outside production); the ranges are the same.
 */

/** A variant's bucket, [start, end): n is in it when start ≤ n < end. */
export type VariationRange = [number, number];

/**
 * 32-bit FNV-1a over the string's UTF-16 code units (charCodeAt, as the SDK; for ASCII the same as
 * over its UTF-8 bytes), as an unsigned integer. Math.imul by the FNV prime 16777619 = 2^24 + 2^8
 * + 0x93 is the SDK's `hval += (hval << 1) + (hval << 4) + (hval << 7) + (hval << 8) + (hval << 24)`
 * modulo 2^32.
 */
export function fnv1a32(str: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < str.length; i++) h = Math.imul(h ^ str.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** GrowthBook's hashing version 2 (unbiased): a number in [0, 1) in steps of 1/10000. */
export function hashV2(seed: string, id: string): number {
  return (fnv1a32(String(fnv1a32(seed + id))) % 10000) / 10000;
}

/** GrowthBook's hashing version 1 (the original, biased; note value before seed): steps of 1/1000. */
export function hashV1(seed: string, id: string): number {
  return (fnv1a32(id + seed) % 1000) / 1000;
}

/** The SDK's `hash(seed, value, version)`: null for a version other than 1 or 2. */
export function hash(seed: string, value: string, version: number): number | null {
  return version === 2 ? hashV2(seed, value) : version === 1 ? hashV1(seed, value) : null;
}

/**
 * The SDK's getBucketRanges: coverage (default 1) clamped to [0, 1]; weights that are missing, of
 * the wrong length or not summing to within [0.99, 1.01] replaced by equal weights 1/n.
 */
export function getBucketRanges(
  numVariations: number,
  coverage: number | undefined,
  weights?: number[] | null,
): VariationRange[] {
  let c = coverage === undefined ? 1 : coverage;
  if (c < 0) c = 0;
  else if (c > 1) c = 1;

  const equal: number[] = numVariations <= 0 ? [] : new Array<number>(numVariations).fill(1 / numVariations);
  let w = weights || equal;
  if (w.length !== numVariations) w = equal;
  const total = w.reduce((sum, x) => sum + x, 0);
  if (total < 0.99 || total > 1.01) w = equal;

  let cumulative = 0;
  return w.map((x): VariationRange => {
    const start = cumulative;
    cumulative += x;
    return [start, start + c * x];
  });
}

/** The index of the first range holding n (start ≤ n < end), or -1 when none does. */
export function chooseVariation(n: number, ranges: VariationRange[]): number {
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i] as VariationRange;
    if (n >= r[0] && n < r[1]) return i;
  }
  return -1;
}

export interface AssignableExperiment {
  key: string;
  /** The hashing seed; the experiment's key when absent (or empty, as the SDK's `seed || key`). */
  seed?: string | null | undefined;
  coverage: number;
  variants: ReadonlyArray<{ key: string; weight: number }>;
}

/** The visitor's variant key, or null when the hash falls outside every range (coverage < 1). */
export function assignVariant(def: AssignableExperiment, visitorId: string): string | null {
  const ranges = getBucketRanges(def.variants.length, def.coverage, def.variants.map((v) => v.weight));
  const i = chooseVariation(hashV2(def.seed || def.key, visitorId), ranges);
  return def.variants[i]?.key ?? null;
}
