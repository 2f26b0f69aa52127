import { describe, expect, it } from 'vitest';
import { fastValidate } from './fast-validate.ts';
import { zodValidate } from './schema.ts';

// Candidate values per field: valid ones, edge cases and wrong ones. Generated events pick one (or
// leave the field out); the fast path must either step aside or agree with zod exactly.
const CANDIDATES: Record<string, unknown[]> = {
  site: ['pk_live_1', '', 'x'.repeat(64), 'x'.repeat(65), 7, null],
  type: ['pageview', 'pageview', 'event', 'event', 'heatmap', 'heatmap', 'error', 'error', 'vitals'],
  id: ['0B7F6A52-6F2E-4C55-9D7C-1A2B3C4D5E6F', '0b7f6a52-6f2e-4c55-9d7c-1a2b3c4d5e6f', 'not-a-uuid', 12],
  ts: [1_764_000_000_000, 0, -5, 1.5, Number.MAX_SAFE_INTEGER + 2, '1764000000000', null],
  url: ['https://shop.example/p/1?utm_source=x', 'http://a.b', 'HTTPS://Shop.Example/Ä', 'ftp://x.y/', '/relative', 'https://x.y/' + 'a'.repeat(4100), 'https://x.y/a\u0000b\tc', 'https:// spaced', 5],
  ref: ['https://www.google.com/', '', 'android-app://com.x', 'r'.repeat(4097), 'a\nb', null],
  title: ['Blue shirt – Shop', '', 't'.repeat(600), 'a\u0000b\r\nc', '\ud800x', 42],
  vid: ['v1', '', 'v'.repeat(64), 'v'.repeat(65), 'a\u0007b', 3],
  sid: ['s1', '', 's'.repeat(65)],
  uid: ['u1', 'u'.repeat(128), 'u'.repeat(129), false],
  sw: [1920, 0, 1_000_000, 1_000_001, -1, 1.5, '1920'],
  vw: [1280, 2.5],
  vh: [720, null],
  ip: ['8.8.8.8', 'i'.repeat(65)],
  ua: ['Mozilla/5.0', 'u'.repeat(1001)],
  name: ['add_to_cart', '', 'n'.repeat(100), 'n'.repeat(101), 'a\u0000b', 9],
  props: [{ sku: 'A1', qty: 2, nested: { deep: { x: true } }, list: [1, 'two'], bad: NaN, nul: null }, {}, [], 'str', null, Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, i]))],
  revenue: [{ amount: 1299, currency: 'EUR' }, { amount: 1299, currency: 'EUR', extra: 1 }, { amount: 12.5, currency: 'EUR' }, { amount: 1, currency: 'eur' }, { amount: 2e15, currency: 'USD' }, { currency: 'USD' }, [], null],
  dh: [2400, 0, 1_000_001, 2.5, '2400'],
  scroll: [75, 0, 100, 33.5, 100.5, -1, '75'],
  points: [
    [{ x: 120, y: 340, kind: 'click', sel: '#add' }, { x: 130.4, y: 900.6, kind: 'rage' }, { x: 0, y: 0, kind: 'scroll', extra: 1 }],
    [{ x: 1, y: 2, kind: 'dead', sel: 'a\u0000b'.repeat(100) }],
    [],
    Array.from({ length: 201 }, () => ({ x: 1, y: 1, kind: 'click' })),
    [{ x: -1, y: 2, kind: 'click' }],
    [{ x: 1, y: 10_000_001, kind: 'click' }],
    [{ x: 1, y: 2, kind: 'hover' }],
    [{ x: 1, y: 2, kind: 'click', sel: 5 }],
    [null],
    [[1, 2]],
    { x: 1 },
  ],
  message: ["Cannot read properties of undefined (reading 'price')", '', 'm'.repeat(2100), 'line1\nline2\u0000', 7],
  kind: ['TypeError', 'k'.repeat(150), 'a\tb', null],
  stack: ['TypeError: x\n    at render (https://shop.example/app.js:120:17)', 's'.repeat(9000), 3],
  file: ['https://shop.example/app.js', 'f'.repeat(1200), false],
  line: [120, 0, 1e9, 1e9 + 1, -1, 1.5, '120'],
  col: [17, 2.5],
  handled: [false, true, 'false', 0],
  extra: ['dropped', { a: 1 }],
};

function prng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32);
}

function generate(rand: () => number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, values] of Object.entries(CANDIDATES)) {
    // Mostly valid: the first candidate of a field is a well-formed value.
    const roll = rand();
    if (roll < 0.35) continue;
    out[field] = roll < 0.8 ? values[0] : values[Math.floor(rand() * values.length)];
  }
  out.type = CANDIDATES.type![Math.floor(rand() * CANDIDATES.type!.length)];
  return out;
}

describe('fastValidate', () => {
  it('agrees with zod on every input it accepts, and steps aside otherwise', () => {
    const rand = prng(7);
    let taken = 0;
    const byType = new Map<string, number>();
    for (let i = 0; i < 100_000; i++) {
      const input = generate(rand);
      const fast = fastValidate(input);
      if (fast === undefined) continue;
      taken++;
      byType.set(fast.type, (byType.get(fast.type) ?? 0) + 1);
      const zod = zodValidate(input);
      expect(zod, JSON.stringify(input)).toEqual({ ok: true, event: fast });
    }
    expect(taken).toBeGreaterThan(2_500);
    for (const type of ['pageview', 'event', 'heatmap', 'error']) expect(byType.get(type), type).toBeGreaterThan(200);
  });

  it('takes the tracker’s usual pageview and custom event', () => {
    const pv = { site: 'pk_1', type: 'pageview', id: '0B7F6A52-6F2E-4C55-9D7C-1A2B3C4D5E6F', ts: 1_764_000_000_000, vid: 'v1', url: 'https://shop.example/', ref: 'https://google.com/', title: 'Home', sw: 1920, vw: 1280, vh: 720 };
    expect(fastValidate(pv)).toEqual({ ...pv, id: '0b7f6a52-6f2e-4c55-9d7c-1a2b3c4d5e6f' });
    const ev = { site: 'pk_1', type: 'event', ts: 1, name: 'purchase', props: { sku: 'A', n: { m: 1 } }, revenue: { amount: 4999, currency: 'USD' } };
    expect(fastValidate(ev)).toEqual({ ...ev, props: { sku: 'A', 'n.m': 1 } });
    expect(fastValidate({ ...pv, url: undefined })).toBeUndefined();
    expect(fastValidate({ ...ev, type: 'vitals' })).toBeUndefined();
    const hm = { site: 'pk_1', type: 'heatmap', ts: 1, url: 'https://shop.example/', vw: 390, dh: 2400, scroll: 74.6, points: [{ x: 1.4, y: 2.6, kind: 'click', sel: '#a' }] };
    expect(fastValidate(hm)).toEqual({ ...hm, scroll: 75, points: [{ x: 1, y: 3, kind: 'click', sel: '#a' }] });
    const err = { site: 'pk_1', type: 'error', url: 'https://shop.example/', message: 'boom', kind: 'TypeError', stack: 'at x', line: 1, col: 2, handled: false };
    expect(fastValidate(err)).toEqual(err);
    expect(fastValidate({ ...hm, vw: undefined })).toBeUndefined();
    expect(fastValidate({ ...err, message: '' })).toBeUndefined();
  });

  it('replaces lone surrogates by U+FFFD, what PostgreSQL stores, in text and identifiers alike (fuzz finding: a vid of "\\udfff" got no session)', () => {
    const event = { site: 'pk_x', type: 'pageview', url: 'https://shop.example/', vid: 'v\udfff', title: 'a\ud800b', sid: 's\ud83d\ude00' };
    for (const v of [fastValidate(event), zodValidate(event)]) {
      const e = (v && 'ok' in v ? (v.ok ? v.event : undefined) : v) as Record<string, unknown> | undefined;
      expect(e).toMatchObject({ vid: 'v\ufffd', title: 'a\ufffdb', sid: 's\ud83d\ude00' });
    }
  });
});
