import { describe, expect, it } from 'vitest';
import { excludePattern, isRageClick, tokenBuckets, type Click } from './signals.ts';

describe('isRageClick', () => {
  it('flags the third click within 1 s and 30 px', () => {
    const recent: Click[] = [];
    expect(isRageClick(recent, { x: 100, y: 100, t: 0 })).toBe(false);
    expect(isRageClick(recent, { x: 110, y: 95, t: 300 })).toBe(false);
    expect(isRageClick(recent, { x: 120, y: 120, t: 900 })).toBe(true);
    expect(isRageClick(recent, { x: 121, y: 121, t: 1000 })).toBe(true);
  });

  it('does not flag slow or spread-out clicks', () => {
    const slow: Click[] = [];
    expect([0, 600, 1200, 1800].map((t) => isRageClick(slow, { x: 5, y: 5, t }))).toEqual([false, false, false, false]);
    const spread: Click[] = [];
    expect([0, 40, 80].map((x, i) => isRageClick(spread, { x, y: 0, t: i * 100 }))).toEqual([false, false, false]);
    expect(spread.length).toBe(3); // only the last second is kept
  });
});

describe('tokenBuckets', () => {
  it('allows a burst of `capacity`, then one per refill interval, per key', () => {
    const take = tokenBuckets(5, 30_000);
    const burst = Array.from({ length: 100 }, () => take('TypeError|x', 1000));
    expect(burst.filter(Boolean)).toHaveLength(5);
    expect(take('RangeError|y', 1000)).toBe(true); // another fingerprint has its own bucket
    expect(take('TypeError|x', 16_000)).toBe(false);
    expect(take('TypeError|x', 31_000)).toBe(true);
    expect(take('TypeError|x', 31_001)).toBe(false);
    expect(take('TypeError|x', 1_000_000)).toBe(true); // refills only up to capacity
    expect(Array.from({ length: 10 }, () => take('TypeError|x', 1_000_000)).filter(Boolean)).toHaveLength(4);
  });
});

describe('excludePattern', () => {
  it('matches paths with * within a segment and ** across segments', () => {
    const re = excludePattern(' /admin/**, /cart/*,/thank-you ')!;
    expect(['/admin/x', '/admin/x/y', '/cart/1', '/thank-you'].every((p) => re.test(p))).toBe(true);
    expect(['/admin', '/cart/1/2', '/thank-you/2', '/products/1', '/x/admin/y'].some((p) => re.test(p))).toBe(false);
    expect(excludePattern('/a.b')!.test('/aXb')).toBe(false);
    expect(excludePattern('')).toBeUndefined();
  });
});
