/**
 * The topbar's "N current visitors" badge, on every view: GET /reports/realtime every 15 s while
 * the tab is visible (the realtime view polls on its own for its charts).
 */
import { ApiError, getJson, type Realtime, type Session } from './api.ts';
import { formatInteger } from './format.ts';
import { byId } from './render.ts';
import { REALTIME_MS } from './views/realtime.ts';

export interface Badge {
  start(): void;
  stop(): void;
  /** Poll now (the tab became visible again). */
  poll(): void;
}

export function realtimeBadge(options: { session: () => Session | undefined; refused: (error: ApiError) => void }): Badge {
  let timer: ReturnType<typeof setInterval> | undefined;
  const node = byId('realtime');
  const count = byId('realtime-count');

  async function poll(): Promise<void> {
    const session = options.session();
    if (!session || document.hidden) return;
    try {
      const r = await getJson<Realtime>(session, 'reports/realtime', new URLSearchParams({ limit: '1' }));
      count.textContent = formatInteger(r.active_visitors);
      node.title = `${formatInteger(r.active_visitors)} visitors and ${formatInteger(r.pageviews)} pageviews in the last ${r.window_seconds / 60} minutes`;
      node.hidden = false;
    } catch (error) {
      if (error instanceof ApiError && error.signsOut && options.session() === session) options.refused(error);
      // Other failures: keep the last count; the next poll tries again.
    }
  }

  const stop = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  return {
    start() {
      stop();
      void poll();
      timer = setInterval(() => void poll(), REALTIME_MS);
    },
    stop,
    poll: () => void poll(),
  };
}
