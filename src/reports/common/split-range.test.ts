import { describe, expect, it } from 'vitest';
import { splitRange } from './split-range.ts';

/** The split covers [start, end) exactly once: slots at the edges, whole days, whole months. */
describe('splitRange', () => {
  it('whole UTC months between head and tail days (sql/051)', () => {
    const s = splitRange(new Date('2026-09-14T04:00:00Z'), new Date('2026-12-13T05:00:00Z'), { months: true });
    expect(s).toMatchObject({ dayFrom: '2026-09-15', headDayTo: '2026-10-01', monthFrom: '2026-10-01', monthTo: '2026-12-01', tailDayFrom: '2026-12-01', dayTo: '2026-12-13' });
    expect([s.headStart, s.headEnd, s.tailStart, s.tailEnd].map((d) => d.toISOString())).toEqual([
      '2026-09-14T04:00:00.000Z', '2026-09-15T00:00:00.000Z', '2026-12-13T00:00:00.000Z', '2026-12-13T05:00:00.000Z',
    ]);
  });

  it('no month copy, or no whole month: every whole day from the day table', () => {
    const noMonths = splitRange(new Date('2026-09-14T04:00:00Z'), new Date('2026-12-13T05:00:00Z'));
    expect(noMonths).toMatchObject({ dayFrom: '2026-09-15', headDayTo: '2026-12-13', tailDayFrom: '2026-12-13', dayTo: '2026-12-13' });
    expect(noMonths.monthFrom).toBe(noMonths.monthTo);
    const short = splitRange(new Date('2026-10-15T00:00:00Z'), new Date('2026-11-20T00:00:00Z'), { months: true });
    expect(short).toMatchObject({ dayFrom: '2026-10-15', headDayTo: '2026-11-20', tailDayFrom: '2026-11-20', dayTo: '2026-11-20' });
    expect(short.monthFrom).toBe(short.monthTo);
    const exact = splitRange(new Date('2026-10-01T00:00:00Z'), new Date('2026-11-01T00:00:00Z'), { months: true });
    expect(exact).toMatchObject({ dayFrom: '2026-10-01', headDayTo: '2026-10-01', monthFrom: '2026-10-01', monthTo: '2026-11-01', tailDayFrom: '2026-11-01', dayTo: '2026-11-01' });
  });
});
