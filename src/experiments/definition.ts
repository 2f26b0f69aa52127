/**
 * Experiment definitions (contract §7): the zod schemas of the API's bodies and the shape an
 * experiment has in the table (sql/060_experiments.sql) and in answers. Keys follow the table's
 * CHECK (`^[A-Za-z0-9_.:-]{1,100}$`), so a bad key is a 400 naming the field, not a constraint
 * error from PostgreSQL.
 */
import { z } from 'zod';

export const EXPERIMENT_KEY_RE = /^[A-Za-z0-9_.:-]{1,100}$/;
/** The contract's tolerance on Σ weights = 1: weights typed as 0.333… three times pass. */
export const WEIGHT_SUM_TOLERANCE = 1e-6;

export const STATUSES = ['draft', 'running', 'stopped'] as const;
export type ExperimentStatus = (typeof STATUSES)[number];

const key = z.string().regex(EXPERIMENT_KEY_RE, 'must be 1–100 characters of A–Z a–z 0–9 _ . : -');

export const variantSchema = z.object({
  key,
  weight: z.number().min(0, 'must be ≥ 0').max(1, 'must be ≤ 1'),
});

const propValue = z.union([z.string().max(500), z.number(), z.boolean()]);

export const eventMetricSchema = z.object({
  key,
  type: z.literal('event'),
  name: z.string().min(1).max(100),
  props: z.record(z.string(), propValue).optional(),
  statistic: z.enum(['conversion', 'count']).default('conversion'),
});

export const orderMetricSchema = z.object({
  key,
  type: z.literal('order'),
  statistic: z.enum(['conversion', 'revenue', 'orders']).default('conversion'),
});

export const metricSchema = z.discriminatedUnion('type', [eventMetricSchema, orderMetricSchema]);
export type ExperimentMetric = z.infer<typeof metricSchema>;
export type Variant = z.infer<typeof variantSchema>;

const statusSchema = z.enum(STATUSES);

/** The body of POST …/experiments. `null` clears `name` or `seed` on an update. */
export const experimentInputSchema = z
  .object({
    key,
    name: z.string().max(200).nullable().optional(),
    seed: z.string().min(1).max(200).nullable().optional(),
    variants: z.array(variantSchema).min(2, 'needs 2–10 variants').max(10, 'needs 2–10 variants'),
    coverage: z.number().min(0, 'must be in [0, 1]').max(1, 'must be in [0, 1]').optional(),
    metrics: z.array(metricSchema).min(1, 'needs at least one metric (the first is the primary)').max(20),
    status: statusSchema.optional(),
  })
  .superRefine((input, ctx) => {
    const sum = input.variants.reduce((s, v) => s + v.weight, 0);
    if (Math.abs(sum - 1) > WEIGHT_SUM_TOLERANCE) {
      ctx.addIssue({ code: 'custom', path: ['variants'], message: `weights must sum to 1 (they sum to ${sum})` });
    }
    const duplicate = (keys: string[]) => keys.find((k, i) => keys.indexOf(k) !== i);
    const variantDup = duplicate(input.variants.map((v) => v.key));
    if (variantDup !== undefined) ctx.addIssue({ code: 'custom', path: ['variants'], message: `variant key ${variantDup} appears twice` });
    const metricDup = duplicate(input.metrics.map((m) => m.key));
    if (metricDup !== undefined) ctx.addIssue({ code: 'custom', path: ['metrics'], message: `metric key ${metricDup} appears twice` });
  });
export type ExperimentInput = z.infer<typeof experimentInputSchema>;

export const statusPatchSchema = z.object({ status: statusSchema });

/** An experiment as stored and as the API answers it (snake_case, like the rest of the API). */
export interface Experiment {
  key: string;
  name: string | null;
  seed: string | null;
  variants: Variant[];
  coverage: number;
  metrics: ExperimentMetric[];
  status: ExperimentStatus;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  stopped_at: string | null;
}

/** Whether two variant lists differ in what assignment reads: keys, their order, or weights. */
export function variantsChanged(before: Variant[], after: Variant[]): boolean {
  return before.length !== after.length || before.some((v, i) => v.key !== after[i]!.key || v.weight !== after[i]!.weight);
}
