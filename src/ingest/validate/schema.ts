import { z } from 'zod';
import { cleanText, CURRENCY, flattenProps, isHttpUrl, MAX_URL, UUID } from './fields.ts';


/**
 * Contract §2 event shapes. Validation is per event: a bad event is rejected with a reason naming
 * the field, its neighbours in the same request are still accepted.
 *
 * Free text is cleaned rather than rejected: control characters and NUL (PostgreSQL refuses NUL in
 * text) are removed and long strings are cut to a cap, so a noisy page title never loses a view.
 * Identifiers (`vid`, `sid`, `uid`, `name`) and URLs are rejected when over their limit instead:
 * cutting them would silently merge distinct values.
 */

const text = (max: number, multiline = false) => z.string().transform((s) => cleanText(s, max, multiline));
const ident = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .transform((s) => cleanText(s, max));

const httpUrl = z
  .string()
  .max(MAX_URL, `must be at most ${MAX_URL} characters`)
  .refine(isHttpUrl, 'must be an absolute http(s) URL')
  .transform((s) => cleanText(s, MAX_URL));
const anyUrl = z
  .string()
  .max(MAX_URL, `must be at most ${MAX_URL} characters`)
  .transform((s) => cleanText(s, MAX_URL));
const px = z.number().int('must be an integer').min(0, 'must be >= 0').max(1_000_000, 'must be <= 1000000');
const uuid = z
  .string()
  .regex(UUID, 'must be a UUID')
  .transform((s) => s.toLowerCase());

const common = {
  site: z.string().min(1, 'must not be empty').max(64),
  id: uuid.optional(),
  ts: z.number().int('must be an integer (epoch ms)').optional(),
  url: httpUrl.optional(),
  ref: anyUrl.optional(),
  title: text(500).optional(),
  vid: ident(64).optional(),
  sid: ident(64).optional(),
  uid: ident(128).optional(),
  sw: px.optional(),
  vw: px.optional(),
  vh: px.optional(),
  // Server-side history only (ingestDirect): the client's address and user agent.
  ip: z.string().max(64).optional(),
  ua: z.string().max(1000).optional(),
};

const pageviewSchema = z.object({ ...common, type: z.literal('pageview'), url: httpUrl });

const eventSchema = z.object({
  ...common,
  type: z.literal('event'),
  name: ident(100),
  props: z
    .record(z.string(), z.unknown(), 'must be an object')
    .refine((v) => !Array.isArray(v), 'must be an object')
    .transform(flattenProps)
    .optional(),
  revenue: z
    .object({
      amount: z.number().int('must be an integer in minor units').min(-1e15).max(1e15),
      currency: z.string().regex(CURRENCY, 'must be an ISO 4217 code such as USD'),
    })
    .optional(),
});

const pointSchema = z.object({
  x: z.number().min(0, 'must be >= 0').max(1_000_000).transform(Math.round),
  y: z.number().min(0, 'must be >= 0').max(10_000_000).transform(Math.round),
  // 'scroll' carries only the page's scroll depth (the tracker's beacon when nothing was clicked).
  kind: z.enum(['click', 'rage', 'dead', 'scroll']),
  sel: text(255).optional(),
});

const heatmapSchema = z.object({
  ...common,
  type: z.literal('heatmap'),
  url: httpUrl,
  vw: px,
  dh: px.optional(),
  scroll: z.number().min(0).max(100).transform(Math.round).optional(),
  points: z.array(pointSchema).min(1, 'must hold 1 to 200 points').max(200, 'must hold 1 to 200 points'),
});

const errorSchema = z.object({
  ...common,
  type: z.literal('error'),
  url: httpUrl,
  message: z.string().min(1, 'must not be empty').transform((s) => cleanText(s, 2000, true)),
  kind: text(100).optional(),
  stack: text(8000, true).optional(),
  file: text(1000).optional(),
  line: z.number().int().min(0).max(1e9).optional(),
  col: z.number().int().min(0).max(1e9).optional(),
  handled: z.boolean().optional(),
});

const metric = z.number().min(0, 'must be >= 0').max(1e9).optional();
const vitalsSchema = z
  .object({ ...common, type: z.literal('vitals'), lcp: metric, inp: metric, cls: metric, fcp: metric, ttfb: metric })
  .refine((v) => [v.lcp, v.inp, v.cls, v.fcp, v.ttfb].some((m) => m !== undefined), {
    message: 'must carry at least one of lcp, inp, cls, fcp, ttfb',
    path: ['lcp'],
  });

export const TYPES = ['pageview', 'event', 'heatmap', 'error', 'vitals'] as const;
export type EventType = (typeof TYPES)[number];

const byType = {
  pageview: pageviewSchema,
  event: eventSchema,
  heatmap: heatmapSchema,
  error: errorSchema,
  vitals: vitalsSchema,
} as const;

export type PageviewInput = z.output<typeof pageviewSchema>;
export type EventInput = z.output<typeof eventSchema>;
export type HeatmapInput = z.output<typeof heatmapSchema>;
export type ErrorInput = z.output<typeof errorSchema>;
export type VitalsInput = z.output<typeof vitalsSchema>;
export type ValidEvent = PageviewInput | EventInput | HeatmapInput | ErrorInput | VitalsInput;

export type Validation = { ok: true; event: ValidEvent } | { ok: false; error: string; reason: string };

/** The zod path of validateEvent: the reference (and the one that names a bad field). */
export function zodValidate(r: Record<string, unknown>): Validation {
  const parsed = byType[r.type as EventType].safeParse(r);
  if (parsed.success) return { ok: true, event: parsed.data };
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : 'event';
  let at: unknown = r;
  for (const k of issue.path) at = at && typeof at === 'object' ? (at as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined;
  const missing = issue.code === 'invalid_type' && at === undefined;
  return {
    ok: false,
    error: missing ? `${field}: required` : `${field}: ${issue.message}`,
    reason: missing ? 'missing_field' : 'invalid_field',
  };
}

/** Contract §2 time window for live beacons: [now − 72 h, now + 5 min]. */
export const MAX_PAST_MS = 72 * 3600_000;
export const MAX_FUTURE_MS = 5 * 60_000;
