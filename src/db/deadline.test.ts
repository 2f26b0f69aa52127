import { describe, expect, it } from 'vitest';
import { Deadline } from './deadline.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Deadline', () => {
  it('runs the armed action once it passes, and marks itself expired', async () => {
    const d = new Deadline(20);
    let ran = 0;
    d.arm(() => ran++);
    expect(d.expired).toBe(false);
    await sleep(60);
    expect([d.expired, ran]).toEqual([true, 1]);
  });

  it('runs an action armed after it passed at once', async () => {
    const d = new Deadline(1);
    await sleep(20);
    let ran = 0;
    d.arm(() => ran++);
    expect(ran).toBe(1);
  });

  it('runs nothing once disarmed or cleared', async () => {
    let ran = 0;
    const disarmed = new Deadline(10);
    disarmed.arm(() => ran++)();
    const cleared = new Deadline(10);
    cleared.arm(() => ran++);
    cleared.clear();
    await sleep(50);
    expect([ran, disarmed.expired, cleared.expired]).toEqual([0, true, false]);
  });
});
