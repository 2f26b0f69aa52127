/**
 * Getting a session: the sign-in probe (shared by the form and share links), what a refused token
 * says, and taking a share link's token out of the address bar.
 */
import { getJson, type ApiError, type Overview, type Session } from './api.ts';

/** What a revoked (or expired) share link's page says: the reader did nothing wrong. */
export const SHARE_REVOKED = 'This share link was revoked or has expired. Ask whoever shared it for a new link, or sign in with a token.';

/** One small report call checks the token and learns the site's zone (the API's default tz); GET /token its scope. */
export async function probeSession(token: string, siteId: string, shared: boolean): Promise<Session> {
  const [probe, info] = await Promise.all([
    getJson<Overview>({ token, siteId }, 'reports/overview', new URLSearchParams({ limit: '1', interval: 'month' })),
    getJson<{ scope: Session['scope'] }>({ token, siteId }, 'token'),
  ]);
  return { token, siteId, siteTz: probe.range.tz, scope: info.scope, ...(shared ? { shared: true } : {}) };
}

/** The sign-in message after the API refused the session's token. */
export function refusedMessage(error: ApiError, shared: boolean | undefined): string {
  return shared && error.status === 401 ? SHARE_REVOKED : `Signed out: ${error.message}`;
}

/**
 * `#share=<token>` (a share link): the token leaves the address bar at once (history.replaceState,
 * so it is neither in the history nor in a link copied from the page) and signs in without the
 * form; the rest of the fragment is the view to open. Undefined when the fragment has no share.
 */
export function takeShareToken(): string | undefined {
  const q = new URLSearchParams(location.hash.replace(/^#/, ''));
  const token = q.get('share');
  if (token === null) return undefined;
  q.delete('share');
  const rest = q.toString();
  history.replaceState(null, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  return token.trim();
}
