import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { isViewName } from '../../dashboards/src/state.ts';
import { DESKTOP_UA } from './chromium.ts';

/**
 * Helpers for the dashboard's browser tests, one view at a time: open the page with a token and a
 * fragment, wait until the view has settled, collect every console error, failed request and
 * request to another origin (a test asserts there are none), screenshots at the widths the
 * dashboard supports, and the XSS probe.
 *
 *   const v = await openView(browser, tally.url, readToken, '#view=funnels&funnel=3');
 *   await v.page.locator('[data-panel=steps] tbody tr').first().waitFor();
 *   await screenshots(v.page, 'funnels');
 *   expectNoProblems(v.problems);
 *   await v.close();
 */
export const SCREENSHOT_WIDTHS = [390, 1280, 1920] as const;

/** Where screenshots go, for people to look at (git-ignored). */
export const RESULTS_DIR = fileURLToPath(new URL('../../test-results/', import.meta.url));

/** An event name, page path, referrer … that must show as text, never run. */
export const XSS_PROBE = '<img src=x onerror=alert(1)>';

export interface Problems {
  /** console.error messages and uncaught exceptions. */
  console: string[];
  /** Answers ≥ 400 (`status url`) and requests that failed (not the page's own aborts). */
  failed: string[];
  /** Requests to any other origin than Tally's (the CSP refuses them; none should be tried). */
  foreign: string[];
  /** alert/confirm/prompt dialogs opened (an XSS probe that ran). */
  dialogs: string[];
}

export interface OpenPage {
  page: Page;
  context: BrowserContext;
  problems: Problems;
  close: () => Promise<void>;
}

/** A fresh context (own sessionStorage) on /dashboard<hash>, recording problems from the start. */
export async function openDashboard(browser: Browser, baseUrl: string, hash = '', width = 1280): Promise<OpenPage> {
  const context = await browser.newContext({ userAgent: DESKTOP_UA, locale: 'en-US', viewport: { width, height: 900 } });
  const page = await context.newPage();
  const origin = new URL(baseUrl).origin;
  const problems: Problems = { console: [], failed: [], foreign: [], dialogs: [] };
  page.on('pageerror', (e) => problems.console.push(e.message));
  page.on('console', (m) => {
    // A failed answer logs "Failed to load resource: … status of 404": counted once, under failed.
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of/.test(m.text())) problems.console.push(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.failed.push(`${r.status()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => {
    const reason = r.failure()?.errorText ?? '';
    // The dashboard aborts a view's requests when the reader moves on: not a failure.
    if (!/ERR_ABORTED/.test(reason)) problems.failed.push(`${reason} ${r.url()}`);
  });
  page.on('request', (r) => {
    const url = r.url();
    if (!/^(data|blob):/.test(url) && new URL(url).origin !== origin) problems.foreign.push(url);
  });
  page.on('dialog', (d) => {
    problems.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(`${baseUrl}/dashboard${hash}`);
  return { page, context, problems, close: () => context.close() };
}

export async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel('API token with read scope').fill(token);
  await page.getByRole('button', { name: 'Open dashboard' }).click();
}

/** Waits until the view (the named one, if given) has drawn everything it loads on its own. */
export async function waitForView(page: Page, view?: string): Promise<void> {
  const selector = view ? `#view[data-view="${view}"][data-status="ready"]` : '#view[data-status="ready"]';
  await page.locator(selector).waitFor({ state: 'attached' });
}

/**
 * Runs `action` (a click or selection that changes the fragment) and waits for the render it
 * caused to settle. `waitForView` alone can see the previous render still "ready": the fragment's
 * hashchange, and with it the new render, comes a task later.
 */
export async function rerender(page: Page, view: string, action: () => Promise<unknown>): Promise<void> {
  const before = await page.locator('#view').getAttribute('data-render');
  await action();
  await page.waitForFunction(([v, b]) => {
    const root = document.getElementById('view');
    return root?.dataset.view === v && root.dataset.render !== b && root.dataset.status === 'ready';
  }, [view, before] as const);
}

/** Opens /dashboard<hash>, signs in with `token` and waits for the view of the fragment. */
export async function openView(browser: Browser, baseUrl: string, token: string, hash = '', width = 1280): Promise<OpenPage> {
  const opened = await openDashboard(browser, baseUrl, hash, width);
  await signIn(opened.page, token);
  const view = new URLSearchParams(hash.replace(/^#/, '')).get('view');
  await waitForView(opened.page, isViewName(view) ? view : 'overview'); // the shell's rule: unknown → overview
  return opened;
}

/** Navigates with the `<nav>` link of `title` and waits for that view. */
export async function goToView(page: Page, title: string, view: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: title, exact: true }).click();
  await waitForView(page, view);
}

/** The current fragment as parameters. */
export async function fragment(page: Page): Promise<URLSearchParams> {
  return new URLSearchParams((await page.evaluate(() => location.hash)).slice(1));
}

export function expectNoProblems(problems: Problems, allowFailed: RegExp[] = []): void {
  expect(problems.console, 'console errors').toEqual([]);
  expect(problems.failed.filter((f) => !allowFailed.some((a) => a.test(f))), 'failed requests').toEqual([]);
  expect(problems.foreign, 'requests to other origins').toEqual([]);
  expect(problems.dialogs, 'dialogs (an XSS probe ran?)').toEqual([]);
}

const frames = (page: Page) => page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));

/**
 * Full-page screenshots at 390, 1280 and 1920 px into test-results/<name>-<width>.png; answers
 * the widths at which the page scrolls sideways (it should at none).
 */
export async function screenshots(page: Page, name: string, widths: readonly number[] = SCREENSHOT_WIDTHS): Promise<{ paths: string[]; overflowing: number[] }> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const before = page.viewportSize() ?? { width: 1280, height: 900 };
  const paths: string[] = [];
  const overflowing: number[] = [];
  for (const width of widths) {
    await page.setViewportSize({ width, height: 900 });
    await frames(page); // chart.js redraws on its resize observer
    await frames(page);
    if (await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1)) overflowing.push(width);
    const path = `${RESULTS_DIR}${name}-${width}.png`;
    await page.screenshot({ path, fullPage: true });
    paths.push(path);
  }
  await page.setViewportSize(before);
  return { paths, overflowing };
}

/**
 * The probe shows as its own characters and nothing ran: no dialog, no `<img src=x>` in the DOM,
 * and (when `expectShown`) the literal text is on the page.
 */
export async function expectXssInert(page: Page, problems: Problems, probe = XSS_PROBE, expectShown = true): Promise<void> {
  await frames(page);
  expect(problems.dialogs).toEqual([]);
  expect(await page.locator('img[src="x"]').count()).toBe(0);
  if (expectShown) expect(await page.locator('body').innerText()).toContain(probe);
}
