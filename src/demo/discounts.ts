/**
 * Discount codes of the demo store's orders (contract §4.7), derived from the order itself and
 * not from the random stream, so adding them changed no other number of the demo:
 * - an order with a discount carries WELCOME10 when it is the shopper's first order, else
 *   SUMMER20 (one in seven sent lower-case, as store back ends do: the report shows one code),
 *   or VIP15 for every third order number;
 * - every fifth order with free shipping (orders of $75 or more) carries FREESHIP as well.
 */
export const DEMO_DISCOUNT_CODES = ['WELCOME10', 'SUMMER20', 'VIP15', 'FREESHIP'] as const;

export function demoDiscountCodes(o: { firstOrder: boolean; orderNumber: number; discount: number; shipping: number }): string[] | undefined {
  const codes: string[] = [];
  if (o.discount > 0) {
    if (o.firstOrder) codes.push('WELCOME10');
    else if (o.orderNumber % 3 === 0) codes.push('VIP15');
    else codes.push(o.orderNumber % 7 === 0 ? 'summer20' : 'SUMMER20');
  }
  if (o.shipping === 0 && o.orderNumber % 5 === 0) codes.push('FREESHIP');
  return codes.length ? codes : undefined;
}
