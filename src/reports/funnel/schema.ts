import { z } from 'zod';
import { reportParamsSchema } from '../common/params.ts';

/**
 * The funnel definition and the ad-hoc report body (contract §4.1), as zod schemas so that bad
 * input is a 400 naming the field (`steps.2.path: …`, `window_seconds: …`).
 */
export const MAX_GLOB_LENGTH = 200;
export const MAX_WINDOW_SECONDS = 7_776_000; // 90 days
export const DEFAULT_WINDOW_SECONDS = 604_800; // 7 days
export const MAX_FUNNEL_RANGE_DAYS = 400;
export const BREAKDOWNS = ['channel', 'device', 'country', 'browser', 'utm_source', 'utm_campaign'] as const;
export type Breakdown = (typeof BREAKDOWNS)[number];

// PostgreSQL text and jsonb cannot hold NUL: refuse it here (400) rather than fail in SQL (500).
const text = (max: number) => z.string().max(max).refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');
const label = text(200).optional();
const propValue = z.union([text(500), z.number(), z.boolean()]);

export const stepSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('pageview'), path: text(MAX_GLOB_LENGTH).min(1), label }).strict(),
  z.object({
    type: z.literal('event'),
    name: text(100).min(1),
    props: z.record(text(100), propValue).optional(),
    label,
  }).strict(),
  z.object({ type: z.literal('order'), label }).strict(),
]);
export type FunnelStep = z.infer<typeof stepSchema>;

export const definitionFields = {
  steps: z.array(stepSchema).min(2, 'a funnel has 2 to 10 steps').max(10, 'a funnel has 2 to 10 steps'),
  window_seconds: z.number().int().min(1).max(MAX_WINDOW_SECONDS).default(DEFAULT_WINDOW_SECONDS),
  order: z.enum(['ordered', 'strict', 'unordered']).default('ordered'),
  unit: z.enum(['visitor', 'session']).default('visitor'),
};

export const peopleSchema = z.object({
  step: z.number().int().min(0).max(9),
  outcome: z.enum(['dropped', 'converted']),
  limit: z.number().int().min(1).max(10_000).default(100),
}).strict();
export type PeopleRequest = z.infer<typeof peopleSchema>;

const rangeFields = reportParamsSchema.pick({ from: true, to: true, tz: true }).shape;

export const funnelBodySchema = z.object({
  ...definitionFields,
  ...rangeFields,
  breakdown: z.enum(BREAKDOWNS).optional(),
  people: peopleSchema.optional(),
}).strict().superRefine((body, ctx) => {
  if (body.people && body.people.step >= body.steps.length) {
    ctx.addIssue({ code: 'custom', path: ['people', 'step'], message: 'must be a step index of this funnel' });
  }
});
export type FunnelBody = z.infer<typeof funnelBodySchema>;

export const savedFunnelSchema = z.object({ name: text(200).min(1), ...definitionFields }).strict();
export type SavedFunnelInput = z.infer<typeof savedFunnelSchema>;

export interface FunnelDefinition {
  steps: FunnelStep[];
  window_seconds: number;
  order: 'ordered' | 'strict' | 'unordered';
  unit: 'visitor' | 'session';
}
