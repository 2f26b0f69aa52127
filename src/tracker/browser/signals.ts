/** Small stateful helpers of the tracker, kept DOM-free for unit tests. */

export interface Click {
  x: number;
  y: number;
  t: number;
}

export const RAGE_CLICKS = 3;
export const RAGE_MS = 1000;
export const RAGE_PX = 30;

/**
 * Records a click in `recent` (mutated: clicks older than 1 s are dropped) and says whether it
 * completes a rage click: 3 clicks within 1 s and 30 px of each other.
 */
export function isRageClick(recent: Click[], click: Click): boolean {
  while (recent.length && click.t - recent[0]!.t > RAGE_MS) recent.shift();
  recent.push(click);
  return recent.filter((c) => Math.abs(c.x - click.x) <= RAGE_PX && Math.abs(c.y - click.y) <= RAGE_PX).length >= RAGE_CLICKS;
}

/**
 * Token buckets by key: `capacity` events at once, then one more every `refillMs`. A loop
 * throwing the same error every frame sends `capacity` reports, then one per `refillMs`.
 */
export function tokenBuckets(capacity: number, refillMs: number): (key: string, now: number) => boolean {
  const buckets: Record<string, { n: number; t: number }> = {};
  return (key, now) => {
    const b = (buckets[key] ??= { n: capacity, t: now });
    b.n = Math.min(capacity, b.n + (now - b.t) / refillMs);
    b.t = now;
    if (b.n < 1) return false;
    b.n--;
    return true;
  };
}

/**
 * `data-exclude` patterns (comma-separated paths) to one RegExp: `*` matches within a path
 * segment, `**` across segments; e.g. `/admin/**, /cart/*`.
 */
export function excludePattern(list: string): RegExp | undefined {
  const alternatives = list
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*\*|\*/g, (m) => (m === '*' ? '[^/]*' : '.*')));
  return alternatives.length ? new RegExp(`^(?:${alternatives.join('|')})$`) : undefined;
}
