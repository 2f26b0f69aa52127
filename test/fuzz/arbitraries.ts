import fc from 'fast-check';

/**
 * Hostile input for the fuzz tests (issue #21 point 5): arbitrary JSON, wrong types, huge and
 * non-finite-looking numbers, deep nesting, NUL bytes, lone surrogates (invalid UTF-16, which
 * becomes invalid UTF-8 on the wire), oversized strings — alone and as one field of an otherwise
 * valid body, where they reach the deepest validation.
 */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 120);
/** Deterministic unless FUZZ_SEED says otherwise: a failure in CI replays locally. */
export const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
export const params = (runs = RUNS) => ({ numRuns: runs, seed: SEED, endOnFailure: true });
/** Per-test timeout that grows with FUZZ_RUNS (npm run fuzz: 10,000 cases per family). */
export const timeoutFor = (msPerRun: number, runs = RUNS) => Math.max(60_000, runs * msPerRun);

const nasty = fc.constantFrom(
  '', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff', '\ud83d', '\uffff', '💥', '%00', '%ff', '../../etc/passwd',
  '<img src=x onerror=alert(1)>', "'; DROP TABLE orders; --", 'null', 'NaN', 'Infinity', '1e309', '-0', '0x10', '9'.repeat(400),
);
const hugeNumber = fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -Number.MAX_SAFE_INTEGER - 2, 2 ** 63, 5e-324, -0, 0.1 + 0.2);
export const hostileString = fc.oneof(
  nasty,
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ maxLength: 20 }).map((s) => s.repeat(1 + (s.length % 5) * 2000)),
);
export const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(hostileString, hugeNumber, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));

/**
 * JSON text nested `depth` deep (written as text: building it as a value would overflow the test's
 * own stack in JSON.stringify). Deep on purpose: parsers and validators must not recurse into a crash.
 */
export function deepNestText(depth: number, leaf = '"leaf"'): string {
  return '{"a":['.repeat(depth) + leaf + ']}'.repeat(depth);
}
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileScalar },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.integer({ min: 2, max: 40 }).map((d) => JSON.parse(deepNestText(d)) as unknown) },
  { weight: 1, arbitrary: fc.array(hostileScalar, { maxLength: 30 }) },
);

/** A valid object with one field (existing or new) replaced by a hostile value, or removed. */
export function mutated(valid: Record<string, unknown>, extraKeys: string[] = []): fc.Arbitrary<Record<string, unknown>> {
  const keys = [...Object.keys(valid), ...extraKeys, '__proto__', 'constructor'];
  return fc.tuple(fc.constantFrom(...keys), hostileValue, fc.boolean()).map(([k, v, remove]) => {
    const copy: Record<string, unknown> = { ...valid };
    if (remove) delete copy[k];
    else Object.defineProperty(copy, k, { value: v, enumerable: true, writable: true, configurable: true });
    return copy;
  });
}

/**
 * A body as text: mostly JSON of a hostile or mutated value, sometimes bytes that are not JSON at
 * all, or JSON nested up to `maxDepth` (7 bytes a level: keep it under an endpoint's body limit,
 * past which the server answers 413 and closes before the client has sent it all).
 */
export function bodyText(value: fc.Arbitrary<unknown>, maxDepth = 200_000): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: value.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    { weight: 1, arbitrary: value.map((v) => (JSON.stringify(v) ?? '').slice(0, -1)) },
    { weight: 1, arbitrary: fc.integer({ min: Math.min(1_000, maxDepth), max: maxDepth }).map((d) => deepNestText(d)) },
  );
}
