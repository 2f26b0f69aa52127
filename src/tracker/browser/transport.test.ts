import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoff, batches, createTransport, FLUSH_MS, KEEPALIVE_BYTES, MAX_BYTES, MAX_EVENTS, type TrackerEvent } from './transport.ts';

const ev = (i: number, extra: TrackerEvent = {}): TrackerEvent => ({ type: 'event', name: `e${i}`, id: `id-${i}`, ...extra });
const body = (s: string) => JSON.parse(s) as { site: string; events: TrackerEvent[] };

describe('batches', () => {
  it('splits at 500 events', () => {
    const groups = batches('pk', Array.from({ length: 1201 }, (_, i) => ev(i)), MAX_BYTES);
    expect(groups.map((g) => g.length)).toEqual([MAX_EVENTS, MAX_EVENTS, 201]);
    expect(groups.flat().map((e) => e.name)).toEqual(Array.from({ length: 1201 }, (_, i) => `e${i}`));
  });

  it('keeps every body under the byte limit, counting UTF-8 bytes', () => {
    const events = Array.from({ length: 40 }, (_, i) => ev(i, { props: { s: 'é'.repeat(1000) } })); // ~2 KB each
    for (const limit of [KEEPALIVE_BYTES, 10_000]) {
      const groups = batches('pk', events, limit);
      expect(groups.flat()).toHaveLength(40);
      for (const g of groups) expect(Buffer.byteLength(JSON.stringify({ site: 'pk', events: g }))).toBeLessThanOrEqual(limit);
    }
  });

  it('drops an event too large to be accepted alone', () => {
    const groups = batches('pk', [ev(1), ev(2, { props: { s: 'x'.repeat(600_000) } }), ev(3)], MAX_BYTES);
    expect(groups.flat().map((e) => e.name)).toEqual(['e1', 'e3']);
  });
});

describe('backoff', () => {
  it('doubles from 1 s with jitter in [half, full], capped at 60 s', () => {
    expect([0, 1, 2, 3].map((a) => backoff(a, 0))).toEqual([500, 1000, 2000, 4000]);
    expect([0, 1, 2, 3].map((a) => backoff(a, 1))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoff(20, 1)).toBe(60_000);
    expect(backoff(20, 0)).toBe(30_000);
  });
});

describe('createTransport', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  function harness(statuses: (number | Error)[]) {
    const posts: { events: TrackerEvent[]; keepalive: boolean }[] = [];
    const beacons: TrackerEvent[][] = [];
    let beaconOk = true;
    const t = createTransport(
      'pk',
      (b, keepalive) => {
        posts.push({ events: body(b).events, keepalive });
        const s = statuses.shift() ?? 202;
        return s instanceof Error ? Promise.reject(s) : Promise.resolve(s);
      },
      (b) => {
        if (beaconOk) beacons.push(body(b).events);
        return beaconOk;
      },
    );
    return { t, posts, beacons, refuseBeacons: () => (beaconOk = false) };
  }

  it('sends one {site, events} batch about 2 s after the first event', async () => {
    const { t, posts } = harness([]);
    t.push(ev(1));
    await vi.advanceTimersByTimeAsync(1000);
    t.push(ev(2));
    expect(posts).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(FLUSH_MS - 1000);
    expect(posts).toEqual([{ events: [ev(1), ev(2)], keepalive: true }]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(posts).toHaveLength(1);
  });

  it('sends by beacon at once when the page is left, falling back to fetch when refused', async () => {
    const { t, posts, beacons, refuseBeacons } = harness([]);
    t.push(ev(1));
    t.flush(true);
    expect(beacons).toEqual([[ev(1)]]);
    refuseBeacons();
    t.push(ev(2));
    t.flush(true);
    expect(posts).toEqual([{ events: [ev(2)], keepalive: true }]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(posts).toHaveLength(1);
  });

  it('retries network failures, 5xx and 429 with growing backoff, keeping order and ids', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const { t, posts } = harness([new TypeError('Failed to fetch'), 503, 429, 202]);
    t.push(ev(1));
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(posts).toHaveLength(1);
    t.push(ev(2)); // queued behind the failed batch; must not cut the backoff short
    await vi.advanceTimersByTimeAsync(749); // backoff(0, .5) = 750
    expect(posts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(posts[1]!.events).toEqual([ev(1), ev(2)]);
    await vi.advanceTimersByTimeAsync(1499); // backoff(1, .5) = 1500
    expect(posts).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(posts).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(3000); // backoff(2, .5)
    expect(posts).toHaveLength(4);
    expect(posts[3]!.events).toEqual([ev(1), ev(2)]);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(posts).toHaveLength(4);
    vi.restoreAllMocks();
  });

  it('does not retry other 4xx (the server will never accept them)', async () => {
    const { t, posts } = harness([400, 413, 403]);
    t.push(ev(1));
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(posts).toHaveLength(1);
  });

  it('a beacon on leaving also carries events waiting for a retry', async () => {
    const { t, posts, beacons } = harness([500]);
    t.push(ev(1));
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    t.push(ev(2));
    t.flush(true);
    expect(posts).toHaveLength(1);
    expect(beacons).toEqual([[ev(1), ev(2)]]);
  });

  it('splits big queues and uses keepalive only for bodies under 60 KB', async () => {
    const { t, posts } = harness([]);
    for (let i = 0; i < 1000; i++) t.push(ev(i, { props: { s: 'x'.repeat(200) } }));
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(posts.map((p) => p.events.length)).toEqual([500, 500]);
    expect(posts.every((p) => !p.keepalive)).toBe(true);
  });
});
