-- UTC-month copies of the product day tables (sql/040), kept by the same deltas as the days
-- (src/reports/revenue-rollup.ts dayDeltaSteps). The products report and revenue's top products
-- read whole months here, the remaining whole days from *_days and the edges from *_slots
-- (src/reports/products-range.ts): a 90-day range reads ≤ ~60 day rows per product instead of 90.
CREATE TABLE commerce_product_sales_months (
  site_id bigint NOT NULL,
  month date NOT NULL, -- first day of the UTC month
  product_id text NOT NULL,
  currency char(3) NOT NULL,
  purchases integer NOT NULL,
  units bigint NOT NULL,
  revenue bigint NOT NULL,
  PRIMARY KEY (site_id, month, product_id, currency)
);
CREATE TABLE commerce_product_traffic_months (
  site_id bigint NOT NULL,
  month date NOT NULL,
  product_id text NOT NULL,
  views bigint NOT NULL DEFAULT 0,
  add_to_carts bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (site_id, month, product_id)
);

INSERT INTO commerce_product_sales_months (site_id, month, product_id, currency, purchases, units, revenue)
SELECT site_id, date_trunc('month', day)::date, product_id, currency, sum(purchases), sum(units), sum(revenue)
FROM commerce_product_sales_days GROUP BY 1, 2, 3, 4;

INSERT INTO commerce_product_traffic_months (site_id, month, product_id, views, add_to_carts)
SELECT site_id, date_trunc('month', day)::date, product_id, sum(views), sum(add_to_carts)
FROM commerce_product_traffic_days GROUP BY 1, 2, 3;
