/**
 * The tracker proper (entry: index.ts). Every handler runs inside `safe`, so a failure of the
 * tracker never reaches the page.
 */
import { cssSelector } from './selector.ts';
import { excludePattern, isRageClick, tokenBuckets, type Click } from './signals.ts';
import { createTransport, type TrackerEvent } from './transport.ts';

type Props = Record<string, string | number | boolean>;
interface Revenue {
  amount: number;
  currency: string;
}
interface Point {
  x: number;
  y: number;
  kind: string;
  sel?: string;
}
interface Api {
  (method: string, ...args: unknown[]): void;
  track(name: string, props?: Props, options?: { revenue?: Revenue }): void;
  identify(customerId: string | number | null): void;
  pageview(url?: string): void;
  experiment(key: string): Promise<string | null>;
  search(query: string, results?: number): void;
  q?: ArrayLike<unknown>[];
}
type Win = Window & { tally?: Api | ((...args: unknown[]) => void) & { q?: ArrayLike<unknown>[] }; doNotTrack?: string };

export function startTracker(): void {
  const safe =
    <A extends unknown[]>(f: (...args: A) => unknown) =>
    (...args: A): void => {
      try {
        f(...args);
      } catch {
        // the tracker never surfaces its own errors to the page
      }
    };

  const w = window as Win;
  const d = document;
  const loc = location;
  const listen = (target: EventTarget, type: string, handler: (e: never) => void, capture?: boolean) =>
    target.addEventListener(type, safe(handler as (e: Event) => void), capture);
  const storage = (k: string, v?: string): string | null => {
    try {
      if (v !== undefined) localStorage.setItem(k, v);
      return localStorage.getItem(k);
    } catch {
      return null; // storage blocked (privacy modes, sandboxed frames)
    }
  };
  // UUID version 7 (time first): event ids are keys of the server's idempotency index, and
  // time-ordered keys are appended at its right edge instead of landing on a random leaf page.
  // 72 random bits; getRandomValues also works outside secure contexts, unlike randomUUID.
  const uuid = (ms = Date.now()): string => {
    const r = crypto.getRandomValues(new Uint8Array(18));
    let i = 0;
    return (ms.toString(16).padStart(12, '0') + '7xxx8xxxxxxxxxxxxxxx')
      .replace(/x/g, () => (r[i++]! & 15).toString(16))
      .replace(/(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
  };

  const script = (d.currentScript || d.querySelector('script[data-site]')) as HTMLScriptElement | null;
  const attr = (name: string) => script?.getAttribute(`data-${name}`) ?? null;
  const flag = (name: string) => attr(name) !== null && attr(name) !== 'false';
  const site = attr('site');
  const endpoint = attr('endpoint') || `${script ? new URL(script.src, loc.href).origin : ''}/collect`;
  const hashMode = flag('hash');
  const exclude = excludePattern(attr('exclude') || '');
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  const disabled =
    !site ||
    (flag('do-not-track') && (nav.doNotTrack === '1' || w.doNotTrack === '1' || nav.globalPrivacyControl === true)) ||
    (!flag('localhost') && (/^(localhost|127\.|\[::1\])|\.localhost$/.test(loc.hostname) || loc.protocol === 'file:'));
  const vid = attr('visitor') === 'persistent' ? storage('tally_vid') || storage('tally_vid', uuid()) : null;
  let uid: string | null = null;
  try {
    uid = sessionStorage.getItem('tally_uid');
  } catch {
    // storage blocked
  }

  const transport = createTransport(
    site || '',
    (body, keepalive) => fetch(endpoint, { method: 'POST', body, keepalive, credentials: 'omit' }).then((r) => r.status),
    (body) => !!nav.sendBeacon && nav.sendBeacon(endpoint, new Blob([body], { type: 'text/plain' })),
  );

  const isExcluded = (url: string) => !!exclude && exclude.test(new URL(url, loc.href).pathname);

  function send(type: string, event: TrackerEvent) {
    if (disabled || storage('tally_ignore') === 'true') return;
    event.type = type;
    const now = Date.now();
    event.ts = now;
    event.id = uuid(now);
    event.url ??= loc.href;
    if (vid) event.vid = vid;
    if (uid) event.uid = uid;
    transport.push(event);
  }

  // ---- heatmaps: click points and scroll depth, batched per page ----
  const heatmaps = flag('heatmaps');
  let points: Point[] = [];
  let recent: Click[] = [];
  let heatUrl = loc.href;
  let scroll = 0;
  let sentScroll = 0;
  let heatTimer: ReturnType<typeof setTimeout> | undefined;
  const docHeight = () => d.documentElement.scrollHeight;

  const measureScroll = () => {
    scroll = Math.max(scroll, Math.min(100, Math.round(((scrollY + innerHeight) / docHeight()) * 100)));
  };

  /**
   * One heatmap event per page per flush (≤ 200 points each); `leaving` adds the scroll depth
   * (measured by the caller: on an SPA navigation the DOM may already show the next page).
   */
  function flushHeatmap(leaving?: boolean) {
    clearTimeout(heatTimer);
    heatTimer = undefined;
    if (!heatmaps) return;
    const withScroll = leaving && scroll > sentScroll;
    if (withScroll) sentScroll = scroll;
    // A scroll depth with no click still needs one point (contract: 1–200): a `scroll` point at
    // the deepest document y reached.
    if (!points.length && withScroll) points.push({ x: 0, y: Math.round((scroll / 100) * docHeight()), kind: 'scroll' });
    while (points.length) {
      send('heatmap', { url: heatUrl, vw: innerWidth, dh: docHeight(), scroll, points: points.splice(0, 200) });
    }
  }

  const onClick = (e: MouseEvent) => {
    const target = e.target as Element;
    // `data-tally-event="name"` (+ `data-tally-prop-*`) on any element tracks clicks on it.
    const el = target.closest?.('[data-tally-event]');
    if (el) {
      const props: Props = {};
      for (const a of el.attributes) if (a.name.startsWith('data-tally-prop-')) props[a.name.slice(16)] = a.value;
      track(el.getAttribute('data-tally-event')!, props);
    }
    if (heatmaps && !isExcluded(heatUrl)) {
      const x = Math.round(e.pageX);
      const y = Math.round(e.pageY);
      points.push({
        x,
        y,
        kind: isRageClick(recent, { x, y, t: Date.now() }) ? 'rage' : 'click',
        sel: target.tagName ? cssSelector(target) : undefined,
      });
      heatTimer ??= setTimeout(safe(flushHeatmap), 1000);
    }
  };
  listen(d, 'click', onClick, true);
  if (heatmaps) listen(w, 'scroll', measureScroll);

  // ---- pageviews ----
  let lastUrl: string | undefined;
  let lastKey: string | undefined;
  let started = false;

  function pageview(url?: string) {
    const href = new URL(url || loc.href, loc.href).href;
    flushHeatmap(true); // what the visitor did on the page being left
    points = [];
    recent = [];
    heatUrl = href;
    scroll = sentScroll = 0;
    if (isExcluded(href)) return;
    send('pageview', {
      url: href,
      ref: lastUrl ?? (d.referrer || undefined),
      title: d.title,
      sw: screen.width,
      vw: innerWidth,
      vh: innerHeight,
    });
    lastUrl = href;
  }

  /** Automatic pageview when the path (and the hash, in hash mode) changed. */
  const autoPageview = () => {
    const key = loc.pathname + (hashMode ? loc.hash : '');
    if (started && key !== lastKey) {
      lastKey = key;
      pageview();
    }
  };

  // Prerendered and background tabs wait until the visitor actually sees the page.
  const start = () => {
    if (!started && d.visibilityState === 'visible' && !(d as Document & { prerendering?: boolean }).prerendering) {
      started = true;
      autoPageview();
    }
  };
  const auto = attr('auto') !== 'false';
  if (auto) {
    for (const method of ['pushState', 'replaceState'] as const) {
      const original = history[method];
      history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
        const result = original.apply(this, args);
        safe(autoPageview)();
        return result;
      };
    }
    listen(w, 'popstate', autoPageview);
    if (hashMode) listen(w, 'hashchange', autoPageview);
    listen(d, 'visibilitychange', start);
    listen(d, 'prerenderingchange', start);
    // A back/forward-cache restore is a new view of the page.
    listen(w, 'pageshow', (e: PageTransitionEvent) => {
      if (e.persisted) {
        lastKey = undefined;
        autoPageview();
      }
    });
  }

  // ---- leaving: send everything now, by beacon ----
  const leave = () => {
    measureScroll(); // also covers a page that fits the screen and was never scrolled
    flushHeatmap(true);
    transport.flush(true);
  };
  listen(d, 'visibilitychange', () => d.visibilityState === 'hidden' && leave());
  listen(w, 'pagehide', leave);

  // ---- errors ----
  if (flag('errors')) {
    const perError = tokenBuckets(5, 30_000);
    const overall = tokenBuckets(30, 2000);
    const report = (error: unknown, message?: string, file?: string, line?: number, col?: number) => {
      const err = error as Partial<Error> | null;
      const stack = err && err.stack ? String(err.stack).slice(0, 4000) : undefined;
      const frame = /(https?:\/\/[^\s)]+?):(\d+):(\d+)/.exec(stack || '');
      const kind = (err && err.name) || (message ? 'Error' : 'UnhandledRejection');
      const text = String((err && err.message) || message || error).slice(0, 2000);
      file ||= frame?.[1];
      line ||= frame ? +frame[2]! : undefined;
      col ||= frame ? +frame[3]! : undefined;
      if (isExcluded(loc.href) || !perError(`${kind}|${text}|${file}:${line}`, Date.now()) || !overall('', Date.now())) return;
      send('error', { kind, message: text, stack, file, line, col, handled: false });
    };
    listen(w, 'error', (e: ErrorEvent) => report(e.error, e.message, e.filename, e.lineno, e.colno));
    listen(w, 'unhandledrejection', (e: PromiseRejectionEvent) => report(e.reason));
  }

  // ---- public API ----
  function track(name: string, props?: Props, options?: { revenue?: Revenue }) {
    send('event', { name: String(name), props, revenue: options && options.revenue });
  }

  // Site search (contract §4.6): results omitted or not a count → sent without it (unknown, left
  // out of the zero-result rate). A click on a result: track('search_click', {q, position, product_id}).
  function search(query: string, results?: number) {
    track('search', { q: '' + query, results: results! >= 0 ? results : undefined } as Props);
  }

  function identify(customerId: string | number | null) {
    uid = customerId === null || customerId === undefined ? null : String(customerId);
    try {
      if (uid) sessionStorage.setItem('tally_uid', uid);
      else sessionStorage.removeItem('tally_uid');
    } catch {
      // storage blocked: the id still applies to this page
    }
  }

  // ---- experiments: the variant from /collect/assign, one $exposure per page per experiment ----
  const assigned: Record<string, Promise<string | null>> = {};
  function experiment(key: string): Promise<string | null> {
    return (assigned[key] ??= disabled
      ? Promise.resolve(null)
      : fetch(`${endpoint}/assign?${new URLSearchParams({ site: site!, experiments: key, vid: vid || '' })}`)
          .then((r) => r.json())
          .then((answer: Record<string, string | null>) => {
            const variant = answer[key] || null;
            if (variant) track('$exposure', { experiment: key, variant });
            return variant;
          })
          .catch(() => null));
  }

  const methods = { track, identify, pageview, experiment, search };
  const api = safe((method: string, ...args: unknown[]) => {
    const fn = methods[method as keyof typeof methods] as ((...a: unknown[]) => void) | undefined;
    fn?.(...args);
  }) as Api;
  api.track = safe(track);
  api.identify = safe(identify);
  api.pageview = safe(pageview);
  api.experiment = experiment;
  api.search = safe(search);

  // Calls made before the script loaded, via the queue stub (see docs/api.md "Tracker").
  const queued = w.tally?.q || [];
  w.tally = api;
  for (const args of queued) api.apply(0, args as Parameters<Api>);
  if (auto) start();
}
