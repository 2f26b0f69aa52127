import { describe, expect, it } from 'vitest';
import { BatchQueue, visitorsOf, type Queued } from './batch-queue.ts';
import type { PreparedEvent } from '../tables.ts';

const event = (visitorId: string) => ({ siteId: '1', visitorId }) as PreparedEvent;
const request = (name: string, visitors: string[], rows = 1): Queued & { name: string } => ({ name, events: visitors.map(event), rows, visitors: visitorsOf(visitors.map(event)) });
const names = (items: { name: string }[]) => items.map((i) => i.name);

describe('BatchQueue', () => {
  it('takes the oldest requests up to maxRows, at least one however large', () => {
    const q = new BatchQueue<ReturnType<typeof request>>();
    for (const [n, rows] of [['a', 3], ['b', 3], ['c', 3]] as const) q.push(request(n, [n], rows));
    expect(names(q.take(7, () => false).items)).toEqual(['a', 'b']);
    expect(q.rows).toBe(3);
    q.push(request('big', ['x'], 50));
    expect(names(q.take(7, () => false).items)).toEqual(['c']);
    expect(names(q.take(7, () => false).items)).toEqual(['big']);
    expect([q.length, q.rows]).toEqual([0, 0]);
  });

  it('leaves out visitors held by a transaction in flight, and everything of a visitor after one of its requests is left out', () => {
    const q = new BatchQueue<ReturnType<typeof request>>();
    q.push(request('v1', ['v']));
    q.push(request('u1', ['u']));
    q.push(request('w1', ['w'], 5)); // does not fit after u1
    q.push(request('w2', ['w'])); // fits, but w1 stayed behind: must not overtake it
    q.push(request('uv', ['u', 'v'])); // v is busy
    const { items, visitors } = q.take(3, (v) => v === '1:v');
    expect(names(items)).toEqual(['u1']);
    expect([...visitors]).toEqual(['1:u']);
    expect(names(q.take(100, () => false).items)).toEqual(['v1', 'w1', 'w2', 'uv']);
    expect([q.length, q.rows]).toEqual([0, 0]);
  });

  it('counts each visitor of a request once', () => {
    expect(visitorsOf([event('a'), event('a'), event('b')])).toEqual(['1:a', '1:b']);
  });
});
