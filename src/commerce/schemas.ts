import { z } from 'zod';

/**
 * Validation of what store back ends push (contract §3). Amounts are integers in minor units;
 * currencies must be real ISO 4217 codes (Intl's list, 160-odd codes: "XYZ" is refused, not
 * just anything matching /^[A-Z]{3}$/).
 */
const ISO_4217 = new Set(Intl.supportedValuesOf('currency'));

export const currencyCode = z
  .string()
  .refine((c) => /^[A-Z]{3}$/.test(c) && ISO_4217.has(c), 'must be an ISO 4217 currency code such as USD or EUR');

/** Minor units (cents): a safe integer ≥ 0. */
export const minorUnits = z.number().int('must be an integer in minor units (e.g. cents)').min(0, 'must be ≥ 0');

/** A string PostgreSQL can store: text columns refuse NUL characters. */
function text(min: number, max: number) {
  return z
    .string()
    .min(min, min === 1 ? 'must not be empty' : `must have at least ${min} characters`)
    .max(max)
    .refine((v) => !v.includes('\u0000'), 'must not contain NUL (\\u0000) characters');
}
const storeId = text(1, 200);
const timestamp = z
  .iso.datetime({ offset: true, message: 'must be an ISO 8601 timestamp with a time zone, e.g. 2024-05-01T12:00:00Z' })
  .refine((v) => {
    const year = Number(v.slice(0, 4));
    return year >= 1900 && year <= 9999;
  }, 'must be a date between the years 1900 and 9999');
/** order_items.quantity is an integer column. */
const MAX_INT4 = 2_147_483_647;

/**
 * Discount codes (contract §4.7): ≤ 10 per order, each 1–64 characters once trimmed, compared
 * case-insensitively: stored upper-cased, so `summer20` and `SUMMER20` are one code and the
 * duplicates an order carries after upper-casing collapse into one.
 */
export const MAX_DISCOUNT_CODES = 10;
const discountCode = text(1, 200)
  .transform((c) => c.trim().toUpperCase())
  .refine((c) => c.length >= 1 && c.length <= 64, 'must be 1–64 characters (after trimming and upper-casing)');
export const discountCodesSchema = z
  .array(discountCode)
  .max(MAX_DISCOUNT_CODES, `at most ${MAX_DISCOUNT_CODES} codes per order`)
  .transform((codes) => [...new Set(codes)]);

export const ORDER_STATUSES = ['pending', 'paid', 'fulfilled', 'cancelled', 'refunded'] as const;
export const PAYMENT_STATUSES = ['pending', 'authorized', 'paid', 'partially_refunded', 'refunded', 'voided', 'failed'] as const;

export const orderItemSchema = z.object({
  product_id: storeId,
  sku: text(0, 200).nullish(),
  name: text(1, 500),
  category: text(0, 200).nullish(),
  quantity: z.number().int('must be an integer').min(1, 'must be ≥ 1').max(MAX_INT4),
  unit_price: minorUnits,
});

export const orderSchema = z
  .object({
    id: storeId,
    customer_id: text(1, 200).nullish(),
    visitor_id: text(1, 64).nullish(),
    status: z.enum(ORDER_STATUSES),
    payment_status: z.enum(PAYMENT_STATUSES).nullish(),
    currency: currencyCode,
    subtotal: minorUnits,
    discount: minorUnits.default(0),
    tax: minorUnits.default(0),
    shipping: minorUnits.default(0),
    total: minorUnits,
    created_at: timestamp,
    items: z.array(orderItemSchema).min(1, 'an order needs at least one item').max(1000),
    // Optional in the parsed type too, so code building orders (demo, benches) may leave it out.
    discount_codes: discountCodesSchema.optional(),
  })
  .superRefine((o, ctx) => {
    const expected = o.subtotal - o.discount + o.tax + o.shipping;
    if (o.total !== expected) {
      ctx.addIssue({
        code: 'custom',
        path: ['total'],
        message: `must equal subtotal − discount + tax + shipping = ${expected} (got ${o.total})`,
      });
    }
  });

export const refundSchema = z.object({
  id: storeId,
  order_id: storeId,
  amount: z.number().int('must be an integer in minor units').min(1, 'must be > 0'),
  currency: currencyCode,
  created_at: timestamp,
  reason: text(0, 1000).nullish(),
});

export const customerSchema = z.object({
  id: storeId,
  email: text(0, 320).nullish(),
  created_at: timestamp,
  visitor_id: text(1, 64).nullish(),
});

export const productSchema = z.object({
  id: storeId,
  sku: text(0, 200).nullish(),
  name: text(1, 500),
  category: text(0, 200).nullish(),
  price: minorUnits,
  currency: currencyCode,
});

export type Order = z.output<typeof orderSchema>;
export type OrderItem = z.output<typeof orderItemSchema>;
export type Refund = z.output<typeof refundSchema>;
export type Customer = z.output<typeof customerSchema>;
export type Product = z.output<typeof productSchema>;

export const COMMERCE_KINDS = ['orders', 'refunds', 'customers', 'products'] as const;
export type CommerceKind = (typeof COMMERCE_KINDS)[number];

export interface KindTypes {
  orders: Order;
  refunds: Refund;
  customers: Customer;
  products: Product;
}

export const schemas = {
  orders: orderSchema,
  refunds: refundSchema,
  customers: customerSchema,
  products: productSchema,
} as const;

export interface ItemError {
  index: number;
  error: string;
}

/** "total: must equal …; items.0.quantity: must be ≥ 1" */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'item'}: ${i.message}`).join('; ');
}

/** Validates each item on its own; returns the parsed items and one error per bad index. */
export function parseItems<K extends CommerceKind>(kind: K, items: unknown[]): { valid: KindTypes[K][]; errors: ItemError[] } {
  const schema = schemas[kind] as unknown as z.ZodType<KindTypes[K]>;
  const valid: KindTypes[K][] = [];
  const errors: ItemError[] = [];
  items.forEach((item, index) => {
    const parsed = schema.safeParse(item);
    if (parsed.success) valid.push(parsed.data);
    else errors.push({ index, error: describeIssues(parsed.error) });
  });
  return { valid, errors };
}
