/**
 * Seeded randomness for the demo: mulberry32 (32-bit state, fast, good enough for synthetic
 * data). Everything the demo generates draws from one of these, never Math.random, so a seed
 * reproduces the same store.
 */
/** mulberry32 as a plain function: uniform numbers in [0, 1) from a 32-bit seed (tests, benchmarks). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    let t = (state = (state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  /** Uniform in [0, 1). */
  readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks by weight; `weights[i]` belongs to `items[i]`. */
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < items.length; i++) {
      r -= weights[i]!;
      if (r < 0) return items[i]!;
    }
    return items[items.length - 1]!;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with the given median and log-space sigma. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Geometric number of extra trials: P(k) = (1 − p)^k p, k ≥ 0. */
  geometric(p: number): number {
    return Math.floor(Math.log(1 - this.next()) / Math.log(1 - p));
  }

  /** A version-4-shaped UUID from the stream (deterministic, unlike randomUUID). */
  uuid(): string {
    const a = HEX8(this.next() * 4294967296);
    const b = HEX8(this.next() * 4294967296);
    const c = HEX8(this.next() * 4294967296);
    const d = HEX8(this.next() * 4294967296);
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${VARIANT[c.charCodeAt(0) & 3]}${c.slice(1, 4)}-${c.slice(4)}${d}`;
  }

  /** A short random id (base36), e.g. for visitor ids. */
  id(length = 12): string {
    let s = '';
    while (s.length < length) s += Math.floor(this.next() * 2176782336).toString(36).padStart(6, '0');
    return s.slice(0, length);
  }
}

const VARIANT = ['8', '9', 'a', 'b'];

const BYTE_HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** 8 hex digits of a uint32 (a table lookup: Number#toString(16) is slow above 2^31). */
function HEX8(n: number): string {
  const u = n >>> 0;
  return BYTE_HEX[u >>> 24]! + BYTE_HEX[(u >>> 16) & 255]! + BYTE_HEX[(u >>> 8) & 255]! + BYTE_HEX[u & 255]!;
}
