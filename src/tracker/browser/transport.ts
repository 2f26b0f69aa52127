/**
 * The tracker's outbox: events are queued, sent in `{site, events}` batches about every 2 s, sent
 * at once with sendBeacon when the page is hidden or left, and retried with backoff on network
 * failure, 5xx and 429 (4xx are final). Pure of DOM globals so it can be unit-tested in Node.
 */
export type TrackerEvent = Record<string, unknown>;

/** Contract §2: at most 500 events and 512 KiB per request (we keep a margin under 512 KiB). */
export const MAX_EVENTS = 500;
export const MAX_BYTES = 500_000;
/** Chromium/WebKit refuse sendBeacon and keepalive fetch bodies once 64 KiB are in flight. */
export const KEEPALIVE_BYTES = 60_000;
export const FLUSH_MS = 2000;
/** Bound on what an offline page keeps in memory (oldest events go first). */
export const MAX_QUEUED = 1000;

const bytes = (s: string): number => new TextEncoder().encode(s).length;

/**
 * Splits events into groups that each fit one request: ≤ MAX_EVENTS events and ≤ maxBytes of
 * JSON body. An event too large to ever be accepted is dropped rather than retried forever.
 */
export function batches(site: string, events: TrackerEvent[], maxBytes: number): TrackerEvent[][] {
  const out: TrackerEvent[][] = [];
  const base = bytes(JSON.stringify({ site, events: [] }));
  let group: TrackerEvent[] = [];
  let size = base;
  for (const event of events) {
    const n = bytes(JSON.stringify(event)) + 1;
    if (base + n > maxBytes) continue;
    if (group.length >= MAX_EVENTS || size + n > maxBytes) {
      out.push(group);
      group = [];
      size = base;
    }
    group.push(event);
    size += n;
  }
  if (group.length) out.push(group);
  return out;
}

/** Exponential backoff with "equal jitter": half fixed, half random; 1 s, 2 s, 4 s … capped at 60 s. */
export function backoff(attempt: number, random: number): number {
  const ceiling = Math.min(60_000, 1000 * 2 ** attempt);
  return ceiling / 2 + (ceiling / 2) * random;
}

export interface Transport {
  push(event: TrackerEvent): void;
  /** Sends everything queued now; `leaving` uses sendBeacon (the page may be gone next tick). */
  flush(leaving?: boolean): void;
}

/**
 * @param post  POSTs a body (keepalive when small enough); resolves to the HTTP status, rejects on
 *              network failure (including a CORS failure).
 * @param beacon navigator.sendBeacon; false when the browser refused to queue it.
 */
export function createTransport(
  site: string,
  post: (body: string, keepalive: boolean) => Promise<number>,
  beacon: (body: string) => boolean,
): Transport {
  let queue: TrackerEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;

  const schedule = (ms: number) => {
    if (timer === undefined) {
      timer = setTimeout(() => {
        timer = undefined;
        flush();
      }, ms);
    }
  };

  const retry = (events: TrackerEvent[]) => {
    queue = events.concat(queue);
    if (queue.length > MAX_QUEUED) queue.splice(0, queue.length - MAX_QUEUED);
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    schedule(backoff(attempt++, Math.random()));
  };

  function flush(leaving?: boolean) {
    if (!queue.length) return;
    const events = queue;
    queue = [];
    for (const group of batches(site, events, leaving ? KEEPALIVE_BYTES : MAX_BYTES)) {
      const body = JSON.stringify({ site, events: group });
      if (leaving && beacon(body)) continue;
      post(body, bytes(body) < KEEPALIVE_BYTES).then(
        (status) => {
          if (status === 429 || status >= 500) retry(group);
          else attempt = 0; // 2xx done; other 4xx can never succeed
        },
        () => retry(group),
      );
    }
  }

  return {
    push(event) {
      queue.push(event);
      if (queue.length > MAX_QUEUED) queue.shift();
      schedule(FLUSH_MS);
    },
    flush,
  };
}
