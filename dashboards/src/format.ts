/**
 * Display formatting in the browser's locale. Money arrives in integer minor units and is
 * formatted exactly: the minor units are turned into a decimal string (no float division) that
 * Intl.NumberFormat formats as it is, with the currency's own fraction digits (JPY 0, EUR 2,
 * KWD 3). Floats appear only as chart coordinates.
 */
const locale = typeof navigator === 'undefined' ? 'en-US' : navigator.language || 'en-US';

const integer = new Intl.NumberFormat(locale);
const percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
const signedPercent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1, signDisplay: 'exceptZero' });

export function formatInteger(n: number): string {
  return integer.format(n);
}

export function formatPercent(rate: number): string {
  return percent.format(rate);
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

const moneyFormats = new Map<string, Intl.NumberFormat>();
function moneyFormat(currency: string): Intl.NumberFormat {
  let f = moneyFormats.get(currency);
  if (!f) {
    f = new Intl.NumberFormat(locale, { style: 'currency', currency });
    moneyFormats.set(currency, f);
  }
  return f;
}

/** ISO 4217 minor-unit digits as the browser's Intl knows them (2 when unknown). */
export function currencyDigits(currency: string): number {
  return moneyFormat(currency).resolvedOptions().maximumFractionDigits ?? 2;
}

/** 123456 with 2 digits → "1234.56"; -5 → "-0.05". Exact for any safe integer. */
export function minorToDecimal(minor: number, digits: number): string {
  const negative = minor < 0;
  const s = String(BigInt(Math.trunc(Math.abs(minor)))).padStart(digits + 1, '0');
  const body = digits ? `${s.slice(0, -digits)}.${s.slice(-digits)}` : s;
  return negative ? `-${body}` : body;
}

export function formatMoney(minor: number, currency: string): string {
  const decimal = minorToDecimal(minor, currencyDigits(currency));
  // NumberFormat v3 (Chrome 106+, Firefox 116+, Safari 15.4+) formats a decimal string exactly.
  return moneyFormat(currency).format(decimal as Intl.StringNumericLiteral);
}

/** Chart coordinate of an amount in major units (display only). */
export function majorUnits(minor: number, currency: string): number {
  return Number(minorToDecimal(minor, currencyDigits(currency)));
}

/**
 * Change against the previous period: relative for counts and amounts; for rates (bounce rate)
 * the difference in percentage points. `undefined` when there is nothing to compare.
 */
export function formatChange(current: number, previous: number | undefined, kind: 'relative' | 'points' = 'relative'): string | undefined {
  if (previous === undefined) return undefined;
  if (kind === 'points') {
    const pp = Math.round((current - previous) * 1000) / 10;
    return `${pp > 0 ? '+' : pp < 0 ? '−' : '±'}${Math.abs(pp)} pp`;
  }
  if (previous === 0) return current === 0 ? '±0%' : 'new';
  return signedPercent.format((current - previous) / previous);
}

/** Whether a change is good news: more is better, except for bounce rate. */
export function changeTone(current: number, previous: number | undefined, lowerIsBetter = false): 'up' | 'down' | 'flat' {
  if (previous === undefined || current === previous) return 'flat';
  return current > previous !== lowerIsBetter ? 'up' : 'down';
}

const dayFormat = new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const monthFormat = new Intl.DateTimeFormat(locale, { month: 'short', year: 'numeric', timeZone: 'UTC' });

/**
 * Axis label of a series bucket. `t` is the local date (day/week/month) or the local time with
 * its offset (hour, e.g. 2026-10-25T02:00:00+01:00): read as written, never shifted into the
 * browser's own zone, so the labels are in the report's zone.
 */
export function bucketLabel(t: string, interval: string, multiDay: boolean): string {
  if (interval === 'hour') {
    const time = t.slice(11, 16);
    return multiDay ? `${dayFormat.format(new Date(`${t.slice(0, 10)}T00:00:00Z`))} ${time}` : time;
  }
  const d = new Date(`${t.slice(0, 10)}T00:00:00Z`);
  if (interval === 'month') return monthFormat.format(d);
  return dayFormat.format(d);
}

let regions: Intl.DisplayNames | undefined;
/** "DE" → "Germany (DE)"; anything not a region code is shown as it is. */
export function countryName(code: string): string {
  if (!/^[A-Z]{2}$/.test(code)) return code;
  try {
    regions ??= new Intl.DisplayNames([locale], { type: 'region' });
    const name = regions.of(code);
    return name && name !== code ? `${name} (${code})` : code;
  } catch {
    return code;
  }
}
