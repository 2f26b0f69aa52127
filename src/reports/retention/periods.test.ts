import { describe, expect, it } from 'vitest';
import { addDays, localDateToUtc, offsetMs } from '../common/params.ts';
import { retentionPeriods } from './periods.ts';

const DAY = 86_400_000;

describe('retention periods', () => {
  it('are the periods starting within [from, to], Monday weeks and 1st-of-month months, DST-correct', () => {
    expect(retentionPeriods('2026-10-21', '2026-11-10', 'Europe/Paris', 'week').labels).toEqual(['2026-10-26', '2026-11-02', '2026-11-09']);
    const months = retentionPeriods('2026-11-15', '2027-01-01', 'Asia/Kolkata', 'month');
    expect(months.labels).toEqual(['2026-12-01', '2027-01-01']);
    expect(months.starts.map((d) => d.toISOString())).toEqual(['2026-11-30T18:30:00.000Z', '2026-12-31T18:30:00.000Z']);
    expect(months.end.toISOString()).toBe('2027-01-01T18:30:00.000Z');
    const days = retentionPeriods('2026-10-24', '2026-10-26', 'Europe/Paris', 'day');
    expect(days.starts.map((d) => d.toISOString())).toEqual(['2026-10-23T22:00:00.000Z', '2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z']);
    expect(retentionPeriods('2026-10-02', '2026-10-30', 'UTC', 'month').labels).toEqual([]);
  });

  // sql/090's visitor grain (first and last instant per UTC day) is exact when no local day lies
  // strictly inside one UTC day (two local midnights inside it). Checked for every zone Node
  // knows, over the DST transitions of 2026–2028.
  it('no zone has two local midnights strictly inside one UTC day (2026–2028)', () => {
    const bad: string[] = [];
    for (const tz of Intl.supportedValuesOf('timeZone')) {
      let prev = offsetMs(Date.UTC(2026, 0, 1), tz);
      for (let t = Date.UTC(2026, 0, 2); t < Date.UTC(2029, 0, 1); t += DAY) {
        const off = offsetMs(t, tz);
        if (off === prev) continue;
        prev = off;
        // The local days around the change.
        const day = new Date(t + off).toISOString().slice(0, 10);
        for (let i = -2; i <= 1; i++) {
          const s = localDateToUtc(addDays(day, i), tz).getTime();
          const e = localDateToUtc(addDays(day, i + 1), tz).getTime();
          if (Math.floor(s / DAY) === Math.floor(e / DAY) && s % DAY !== 0) bad.push(`${tz} ${addDays(day, i)}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });
});
