/** Traffic source of a page view: referrer domain, channel, UTM tags and ad click ids. */
export type Channel = 'direct' | 'internal' | 'search' | 'social' | 'email' | 'paid' | 'referral';

export interface SourceInfo {
  host: string;
  path: string;
  refDomain: string | null;
  channel: Channel;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
  clickIdKind: 'gclid' | 'fbclid' | 'msclkid' | null;
  clickId: string | null;
}

// Matched against the referrer's registrable part (`google.co.uk` → starts with `google.`).
const SEARCH = [/^(www\.)?google\./, /(^|\.)bing\.com$/, /(^|\.)duckduckgo\.com$/, /(^|\.)search\.yahoo\.com$/, /(^|\.)yandex\./, /(^|\.)baidu\.com$/, /(^|\.)ecosia\.org$/, /(^|\.)qwant\.com$/, /(^|\.)startpage\.com$/, /^search\.brave\.com$/, /(^|\.)naver\.com$/, /(^|\.)seznam\.cz$/];
const SOCIAL = [/(^|\.)facebook\.com$/, /^fb\.me$/, /(^|\.)instagram\.com$/, /^t\.co$/, /(^|\.)twitter\.com$/, /^x\.com$/, /(^|\.)linkedin\.com$/, /^lnkd\.in$/, /(^|\.)reddit\.com$/, /(^|\.)pinterest\./, /(^|\.)tiktok\.com$/, /(^|\.)youtube\.com$/, /^youtu\.be$/, /(^|\.)threads\.net$/, /(^|\.)bsky\.app$/, /(^|\.)mastodon\.social$/, /(^|\.)vk\.com$/, /(^|\.)whatsapp\.com$/, /^t\.me$/];
const EMAIL = [/^mail\.google\.com$/, /^outlook\.(live|office)\.com$/, /^mail\.yahoo\.com$/, /(^|\.)mail\.proton\.me$/, /^webmail\./];

const PAID_MEDIUM = /^(cpc|ppc|cpm|cpv|cpa|paid.*|display|banner|retargeting|affiliate_paid)$/i;
const EMAIL_MEDIUM = /^(e-?mail|newsletter)$/i;
const SOCIAL_MEDIUM = /^(social|social-network|social-media|sm|organic_social)$/i;
const SEARCH_MEDIUM = /^organic$/i;

function bareHost(host: string): string {
  return host.toLowerCase().replace(/^www\./, '');
}

function tag(params: URLSearchParams, name: string): string | null {
  const v = params.get(name);
  return v ? v.slice(0, 200) : null;
}

/** Splits the page URL and classifies the visit's source (rules documented in docs/api.md). */
export function classifySource(pageUrl: string, referrer: string | null | undefined): SourceInfo {
  let host = '';
  let path = '/';
  let params = new URLSearchParams();
  try {
    const u = new URL(pageUrl);
    host = u.hostname.toLowerCase();
    path = u.pathname || '/';
    params = u.searchParams;
  } catch {
    // validated upstream; a bare path (vitals without url) keeps the defaults
  }
  let refDomain: string | null = null;
  if (referrer) {
    try {
      const r = new URL(referrer);
      if (r.protocol === 'http:' || r.protocol === 'https:' || r.protocol === 'android-app:') refDomain = bareHost(r.hostname) || null;
    } catch {
      refDomain = null;
    }
  }
  const utmSource = tag(params, 'utm_source');
  const utmMedium = tag(params, 'utm_medium');
  const clickKinds = ['gclid', 'fbclid', 'msclkid'] as const;
  const clickIdKind = clickKinds.find((k) => params.has(k)) ?? null;
  const clickId = clickIdKind ? tag(params, clickIdKind) : null;

  const channel = ((): Channel => {
    if (clickIdKind || (utmMedium && PAID_MEDIUM.test(utmMedium))) return 'paid';
    if (utmMedium && EMAIL_MEDIUM.test(utmMedium)) return 'email';
    if (utmMedium && SOCIAL_MEDIUM.test(utmMedium)) return 'social';
    if (utmMedium && SEARCH_MEDIUM.test(utmMedium)) return 'search';
    if (refDomain) {
      if (host && refDomain === bareHost(host)) return 'internal';
      if (EMAIL.some((re) => re.test(refDomain!))) return 'email';
      if (SEARCH.some((re) => re.test(refDomain!))) return 'search';
      if (SOCIAL.some((re) => re.test(refDomain!))) return 'social';
      return 'referral';
    }
    if (utmSource) return /mail|newsletter/i.test(utmSource) ? 'email' : 'referral';
    return 'direct';
  })();

  return {
    host,
    path,
    refDomain,
    channel,
    utmSource,
    utmMedium,
    utmCampaign: tag(params, 'utm_campaign'),
    utmTerm: tag(params, 'utm_term'),
    utmContent: tag(params, 'utm_content'),
    clickIdKind,
    clickId,
  };
}
