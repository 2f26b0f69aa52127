-- The retention report's repeat-purchase statistics (src/reports/retention/report.ts repeatSql)
-- read only the customers with a second paid order, index-only: at 10M events 46k of 133k
-- members over 90 days. The members themselves come from the cohort sizes.
CREATE INDEX retention_customer_first_repeat ON retention_customer_first (site_id, first_paid_at) INCLUDE (second_paid_at)
  WHERE second_paid_at IS NOT NULL;
