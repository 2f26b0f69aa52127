import { existsSync } from 'node:fs';

/**
 * Debian's chromium (`apt-get install chromium`), or CHROMIUM_PATH. The browser tests run only
 * when it exists; test/global-setup.ts prints one line when they are skipped.
 */
export const chromiumPath: string | undefined = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p): p is string => !!p && existsSync(p),
);

export const SKIP_NOTICE = 'browser tests skipped: chromium not found (apt-get install chromium, or set CHROMIUM_PATH) — test/browser/*.test.ts';

/** Flags this sandbox needs: no internet, no GPU, root (no sandbox), no background chatter. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** isbot drops "HeadlessChrome": the tests browse as an ordinary desktop Chrome. */
export const DESKTOP_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
