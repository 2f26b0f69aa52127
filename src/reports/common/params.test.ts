import { describe, expect, it } from 'vitest';
import { formatLocalIso, localDateToUtc, reportParamsSchema, resolveRange } from './params.ts';

const parse = (q: Record<string, string>) => reportParamsSchema.parse(q);

describe('report params', () => {
  it('converts local dates to a UTC half-open range across DST', () => {
    const r = resolveRange(parse({ from: '2026-03-29', to: '2026-03-29', tz: 'Europe/Paris' }), 'UTC');
    expect(r.start.toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(r.end.toISOString()).toBe('2026-03-29T22:00:00.000Z');
    expect(r.interval).toBe('hour');
    expect(r.buckets).toHaveLength(23);
    const fall = resolveRange(parse({ from: '2026-10-25', to: '2026-10-25', tz: 'Europe/Paris', interval: 'hour' }), 'UTC');
    expect(fall.buckets).toHaveLength(25);
    expect(fall.buckets[2]!.t).toBe('2026-10-25T02:00:00+02:00');
    expect(fall.buckets[3]!.t).toBe('2026-10-25T02:00:00+01:00');
  });

  it('makes day, ISO week and month buckets clipped to the range', () => {
    const d = resolveRange(parse({ from: '2026-10-24', to: '2026-10-26', tz: 'Europe/Paris', interval: 'day' }), 'UTC');
    expect(d.buckets.map((b) => (b.end.getTime() - b.start.getTime()) / 3_600_000)).toEqual([24, 25, 24]);
    const w = resolveRange(parse({ from: '2026-03-04', to: '2026-03-20', interval: 'week' }), 'America/New_York');
    expect(w.tz).toBe('America/New_York');
    expect(w.buckets.map((b) => b.t)).toEqual(['2026-03-04', '2026-03-09', '2026-03-16']);
    // US DST starts 2026-03-08: the clipped first week (4–8 March) is 5 days minus one hour.
    expect(w.buckets[0]!.end.getTime() - w.buckets[0]!.start.getTime()).toBe(119 * 3_600_000);
  });

  it('months and previous period', () => {
    const m = resolveRange(parse({ from: '2026-01-15', to: '2026-03-10', interval: 'month', compare: 'previous' }), 'UTC');
    expect(m.buckets.map((b) => b.t)).toEqual(['2026-01-15', '2026-02-01', '2026-03-01']);
    expect(m.previous!.from).toBe('2025-11-21');
    expect(m.previous!.to).toBe('2026-01-14');
  });

  it('names the bad parameter', () => {
    expect(reportParamsSchema.safeParse({ from: '2026-02-30' }).error?.issues[0]?.path).toEqual(['from']);
    expect(reportParamsSchema.safeParse({ tz: 'Mars/Olympus' }).error?.issues[0]?.path).toEqual(['tz']);
    expect(() => resolveRange(parse({ from: '2026-03-02', to: '2026-03-01' }), 'UTC')).toThrow(/^from:/);
    expect(() => resolveRange(parse({ from: '2026-01-01', to: '2026-03-01', interval: 'hour' }), 'UTC')).toThrow(/^interval:/);
  });

  it('formats offsets', () => {
    expect(formatLocalIso(new Date('2026-01-01T00:00:00Z'), 'Asia/Kolkata')).toBe('2026-01-01T05:30:00+05:30');
    expect(localDateToUtc('2026-03-08', 'America/New_York').toISOString()).toBe('2026-03-08T05:00:00.000Z');
  });
});
