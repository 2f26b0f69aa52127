import type pg from 'pg';
import type { Customer, ItemError, Product } from './schemas.ts';
import { lastById } from './write-orders.ts';

/** Set-based upserts of customers and products (one unnest statement per batch). */

export function upsertCustomersSql(siteId: string, customers: Customer[]) {
  return {
    text: `INSERT INTO customers (site_id, id, email, visitor_id, created_at)
           SELECT $1::bigint, t.* FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[])
             AS t(id, email, visitor_id, created_at)
           ON CONFLICT (site_id, id) DO UPDATE SET
             email = EXCLUDED.email, visitor_id = EXCLUDED.visitor_id, created_at = EXCLUDED.created_at, updated_at = now()`,
    values: [
      siteId,
      customers.map((c) => c.id),
      customers.map((c) => c.email ?? null),
      customers.map((c) => c.visitor_id ?? null),
      customers.map((c) => c.created_at),
    ],
  };
}

export function upsertProductsSql(siteId: string, products: Product[]) {
  return {
    text: `INSERT INTO products (site_id, id, sku, name, category, price, currency)
           SELECT $1::bigint, t.* FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[])
             AS t(id, sku, name, category, price, currency)
           ON CONFLICT (site_id, id) DO UPDATE SET
             sku = EXCLUDED.sku, name = EXCLUDED.name, category = EXCLUDED.category, price = EXCLUDED.price,
             currency = EXCLUDED.currency, updated_at = now()`,
    values: [
      siteId,
      products.map((p) => p.id),
      products.map((p) => p.sku ?? null),
      products.map((p) => p.name),
      products.map((p) => p.category ?? null),
      products.map((p) => p.price),
      products.map((p) => p.currency),
    ],
  };
}

export async function writeCustomers(client: pg.ClientBase, siteId: string, customers: Customer[]): Promise<{ upserted: number; errors: ItemError[] }> {
  await client.query(upsertCustomersSql(siteId, lastById(customers).map((l) => l.item)));
  return { upserted: customers.length, errors: [] };
}

export async function writeProducts(client: pg.ClientBase, siteId: string, products: Product[]): Promise<{ upserted: number; errors: ItemError[] }> {
  await client.query(upsertProductsSql(siteId, lastById(products).map((l) => l.item)));
  return { upserted: products.length, errors: [] };
}
