import { describe, expect, it } from 'vitest';
import { siteIdOf } from '../../dashboards/src/api.ts';
import { bucketLabel, currencyDigits, formatChange, formatDuration, formatMoney, minorToDecimal } from '../../dashboards/src/format.ts';
import { parseHash, parseRoute, presetRange, reportQuery, todayIn, toHash, VIEW_NAMES } from '../../dashboards/src/state.ts';

/** The dashboard's pure client logic (dashboards/src), run in Node (locale en-US there). */
describe('money from minor units', () => {
  it('is exact for every currency exponent, negative amounts and amounts beyond float cents', () => {
    expect(minorToDecimal(123456, 2)).toBe('1234.56');
    expect(minorToDecimal(5, 2)).toBe('0.05');
    expect(minorToDecimal(-5, 2)).toBe('-0.05');
    expect(minorToDecimal(1234, 0)).toBe('1234');
    expect(minorToDecimal(1234, 3)).toBe('1.234');
    expect(minorToDecimal(Number.MAX_SAFE_INTEGER, 2)).toBe('90071992547409.91');
    expect([currencyDigits('JPY'), currencyDigits('EUR'), currencyDigits('KWD')]).toEqual([0, 2, 3]);
    expect(formatMoney(1234, 'JPY')).toBe('¥1,234');
    expect(formatMoney(1234, 'KWD')).toBe('KWD\u00a01.234');
    expect(formatMoney(28175, 'EUR')).toBe('€281.75');
    // 0.1 + 0.2 style drift cannot happen: 90,071,992,547,409.91 keeps its last cent
    expect(formatMoney(Number.MAX_SAFE_INTEGER, 'USD')).toBe('$90,071,992,547,409.91');
  });
});

describe('formatting', () => {
  it('changes, durations and bucket labels in the report zone', () => {
    expect(formatChange(150, 100)).toBe('+50%');
    expect(formatChange(50, 100)).toBe('-50%');
    expect(formatChange(3, 0)).toBe('new');
    expect(formatChange(0, 0)).toBe('±0%');
    expect(formatChange(0.45, 0.5, 'points')).toBe('−5 pp');
    expect(formatChange(1, undefined)).toBeUndefined();
    expect([formatDuration(38), formatDuration(125), formatDuration(3725)]).toEqual(['38s', '2m 05s', '1h 02m']);
    // hour labels read as written (the offset is the report zone's), not moved into the browser's zone
    expect(bucketLabel('2026-10-25T02:00:00+01:00', 'hour', false)).toBe('02:00');
    expect(bucketLabel('2026-10-25T02:00:00+01:00', 'hour', true)).toBe('Oct 25 02:00');
    expect(bucketLabel('2026-11-01', 'month', true)).toBe('Nov 2026');
  });
});

describe('view state in the URL fragment', () => {
  const today = () => '2026-11-22';

  it('presets are relative to today in the zone; custom keeps its dates; bad input falls back', () => {
    expect(presetRange('7d', '2026-03-02')).toEqual({ from: '2026-02-24', to: '2026-03-02' });
    expect(parseHash('', today, 'Europe/Paris')).toEqual({
      period: '30d', from: '2026-10-24', to: '2026-11-22', interval: '', tz: '', compare: true, currency: '',
    });
    expect(parseHash('#period=7d&from=2020-01-01&to=2020-01-02', today, 'UTC')).toMatchObject({ period: '7d', from: '2026-11-16', to: '2026-11-22' });
    expect(parseHash('#from=2020-01-01&to=2020-01-31', today, 'UTC')).toMatchObject({ period: 'custom', from: '2020-01-01', to: '2020-01-31' });
    expect(parseHash('#period=custom&from=2020-02-30&to=2020-01-31', today, 'UTC')).toMatchObject({ period: '30d', from: '2026-10-24' });
    expect(parseHash('#period=90d&tz=Mars/Base&interval=hour&currency=eur&compare=off', today, 'UTC')).toMatchObject({
      tz: '', interval: '', currency: 'EUR', compare: false, // hour over 90 days is refused by the API: automatic instead
    });
    const s = parseHash('#period=today&interval=hour&tz=Asia/Kolkata', today, 'UTC');
    expect(parseHash(toHash(s), today, 'UTC')).toEqual(s);
    expect(reportQuery(s, { compare: 'previous' }).toString()).toBe('from=2026-11-22&to=2026-11-22&tz=Asia%2FKolkata&interval=hour&compare=previous');
  });

  it('names the view (unknown → overview) and keeps the view’s own parameters apart from the shared ones', () => {
    expect(parseRoute('').view).toBe('overview');
    expect(parseRoute('#view=nonsense&funnel=3').view).toBe('overview');
    const r = parseRoute('#view=funnels&period=7d&funnel=3&tz=UTC&grain=week&share=tly_1_x');
    expect(r.view).toBe('funnels');
    expect(r.params.toString()).toBe('funnel=3&grain=week'); // share= is never a view parameter
    const s = parseHash('#view=funnels&period=7d', today, 'UTC');
    const hash = toHash(s, r);
    expect(hash).toBe('#view=funnels&period=7d&from=2026-11-16&to=2026-11-22&funnel=3&grain=week');
    expect(parseRoute(hash).params.toString()).toBe(r.params.toString());
    expect(parseHash(hash, today, 'UTC')).toEqual(s);
    for (const view of VIEW_NAMES) expect(parseRoute(toHash(s, { view, params: new URLSearchParams() })).view).toBe(view);
    expect(VIEW_NAMES).toEqual(expect.arrayContaining(['overview', 'revenue', 'products', 'funnels', 'retention', 'experiments', 'heatmaps', 'errors', 'vitals', 'realtime', 'search', 'discounts']));
  });

  it('today is the wall-clock date of the zone', () => {
    const instant = new Date('2026-11-22T23:30:00Z');
    expect(todayIn('UTC', instant)).toBe('2026-11-22');
    expect(todayIn('Europe/Paris', instant)).toBe('2026-11-23');
    expect(todayIn('America/Los_Angeles', instant)).toBe('2026-11-22');
  });

  it('reads the site id from a token and nothing else', () => {
    expect(siteIdOf(`tly_42_${'a'.repeat(43)}`)).toBe('42');
    expect(siteIdOf(`tly_42_${'a'.repeat(42)}`)).toBeUndefined();
    expect(siteIdOf('Bearer tly_42_x')).toBeUndefined();
  });
});
