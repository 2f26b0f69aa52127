/**
 * Every site-scoped table and what erasing a person does to it (contract §8). coverage.test.ts
 * reads the migrated schema and FAILS when a table that can hold a person's trace — a `site_id`
 * plus a visitor_id / customer_id / user_id / visitor_key / customer_key / customer_hash /
 * order_id column, or a rollup named *_rollups, *_days, *_slots, *_months, *_first*, *_state —
 * is missing here. A new table gets its line (and its code in erase.ts or in the rollup's
 * `erase-visitor.ts`) in the same change; "none" is only for tables without personal data.
 *
 * How:
 *   raw       the person's rows deleted (raw-rows.ts)
 *   visitor   the visitors' own rows deleted (per-visitor state, no counter to correct)
 *   commerce  the customer's / guest orders' rows deleted, other orders unlinked (commerce.ts)
 *   corrected a rollup: the affected buckets corrected or recomputed, as `by` says
 *   none      holds nothing that identifies or counts a person
 */
export type Coverage = { how: 'raw' | 'visitor' | 'commerce' | 'none'; by: string } | { how: 'corrected'; by: string };

export const ERASE_COVERAGE: Record<string, Coverage> = {
  // sql/001, 010
  pageviews: { how: 'raw', by: 'privacy/raw-rows.ts' },
  events: { how: 'raw', by: 'privacy/raw-rows.ts' },
  heatmap_points: { how: 'raw', by: 'privacy/raw-rows.ts' },
  errors: { how: 'raw', by: 'privacy/raw-rows.ts' },
  vitals: { how: 'raw', by: 'privacy/raw-rows.ts' },
  ingest_dedup: { how: 'raw', by: 'privacy/raw-rows.ts: the event ids of the deleted rows (re-sent ids are stored anew)' },
  visitor_sessions: { how: 'visitor', by: 'privacy/raw-rows.ts' },
  sites: { how: 'none', by: 'site settings' },
  api_tokens: { how: 'none', by: 'tokens' },
  audit_log: { how: 'none', by: 'person.erase entries hold sha256 hashes, never the ids' },
  // sql/002
  customers: { how: 'commerce', by: 'privacy/commerce.ts' },
  orders: { how: 'commerce', by: 'privacy/commerce.ts' },
  order_items: { how: 'commerce', by: 'privacy/commerce.ts' },
  refunds: { how: 'commerce', by: 'privacy/commerce.ts' },
  products: { how: 'none', by: 'the catalogue' },
  // sql/030, 050: traffic
  sessions: { how: 'corrected', by: 'reports/overview/erase-visitor.ts (deleted, their visits subtracted)' },
  traffic_rollups: { how: 'corrected', by: 'reports/overview/erase-visitor.ts' },
  visitor_days: { how: 'corrected', by: 'reports/overview/erase-visitor.ts' },
  visitor_day_links: { how: 'corrected', by: 'reports/overview/erase-visitor.ts' },
  // sql/040–053: commerce rollups
  commerce_visitor_first_touch: { how: 'corrected', by: 'reports/products/erase-visitor.ts (rows deleted; orders re-attributed by commerce.ts)' },
  commerce_product_traffic_slots: { how: 'corrected', by: 'reports/products/erase-visitor.ts' },
  commerce_product_traffic_days: { how: 'corrected', by: 'reports/products/erase-visitor.ts' },
  commerce_product_traffic_months: { how: 'corrected', by: 'reports/products/erase-visitor.ts' },
  commerce_order_state: { how: 'corrected', by: 'privacy/commerce.ts (revenueRollupSteps; erased ids deleted)' },
  commerce_refund_state: { how: 'corrected', by: 'privacy/commerce.ts' },
  commerce_dirty_slots: { how: 'corrected', by: 'privacy/commerce.ts (drained by revenueRollupSteps)' },
  commerce_revenue_slots: { how: 'corrected', by: 'privacy/commerce.ts' },
  commerce_channel_slots: { how: 'corrected', by: 'privacy/commerce.ts' },
  commerce_channel_days: { how: 'corrected', by: 'privacy/commerce.ts' },
  commerce_customer_slots: { how: 'corrected', by: 'privacy/commerce.ts' },
  commerce_customer_first: { how: 'corrected', by: 'privacy/commerce.ts' },
  commerce_customer_day_links: { how: 'corrected', by: 'privacy/commerce.ts' },
  commerce_customer_first_slots: { how: 'corrected', by: 'privacy/commerce.ts' },
  commerce_product_sales_slots: { how: 'corrected', by: 'privacy/commerce.ts' },
  commerce_product_sales_days: { how: 'corrected', by: 'privacy/commerce.ts' },
  commerce_product_sales_months: { how: 'corrected', by: 'privacy/commerce.ts' },
  // sql/060, 062: experiments
  experiments: { how: 'none', by: 'definitions' },
  experiment_exposures: { how: 'visitor', by: 'reports/experiment/erase-visitor.ts' },
  // sql/063: experiment metric sums
  experiment_visitors: { how: 'visitor', by: 'reports/experiment/erase-visitor.ts' },
  experiment_visitor_metrics: { how: 'visitor', by: 'reports/experiment/erase-visitor.ts' },
  experiment_uid_links: { how: 'visitor', by: 'reports/experiment/erase-visitor.ts' },
  experiment_order_links: { how: 'visitor', by: 'reports/experiment/erase-visitor.ts (and the erased orders\u2019 links)' },
  experiment_totals: { how: 'corrected', by: 'reports/experiment/erase-visitor.ts (regroupTotalsSql for the experiments they were in)' },
  experiment_dirty: { how: 'corrected', by: 'reports/experiment/erase-visitor.ts (drained by regroupTotalsSql)' },
  experiment_metric_state: { how: 'none', by: 'the definition the sums were built for' },
  // sql/070: errors
  error_groups: { how: 'corrected', by: 'reports/errors/erase-visitor.ts (recomputed from the remaining occurrences)' },
  error_group_slots: { how: 'corrected', by: 'reports/errors/erase-visitor.ts' },
  error_group_visitors: { how: 'corrected', by: 'reports/errors/erase-visitor.ts' },
  // sql/071: heatmaps (vitals are read from the raw rows)
  heatmap_cell_slots: { how: 'corrected', by: 'reports/heatmap/erase-visitor.ts' },
  heatmap_cell_days: { how: 'corrected', by: 'reports/heatmap/erase-visitor.ts' },
  heatmap_selector_slots: { how: 'corrected', by: 'reports/heatmap/erase-visitor.ts' },
  heatmap_selector_days: { how: 'corrected', by: 'reports/heatmap/erase-visitor.ts' },
  heatmap_scroll_slots: { how: 'corrected', by: 'reports/heatmap/erase-visitor.ts (the visitors\u2019 rows deleted)' },
  heatmap_scroll_days: { how: 'corrected', by: 'reports/heatmap/erase-visitor.ts' },
  // sql/073: vitals bucket counts and exact samples
  vitals_bucket_slots: { how: 'corrected', by: 'reports/vitals/erase-visitor.ts' },
  vitals_bucket_days: { how: 'corrected', by: 'reports/vitals/erase-visitor.ts' },
  vitals_bucket_months: { how: 'corrected', by: 'reports/vitals/erase-visitor.ts' },
  vitals_page_bucket_slots: { how: 'corrected', by: 'reports/vitals/erase-visitor.ts' },
  vitals_page_bucket_days: { how: 'corrected', by: 'reports/vitals/erase-visitor.ts' },
  vitals_page_bucket_months: { how: 'corrected', by: 'reports/vitals/erase-visitor.ts' },
  vitals_values: { how: 'corrected', by: 'reports/vitals/erase-visitor.ts' },
  // sql/072: heatmap months
  heatmap_cell_months: { how: 'corrected', by: 'reports/heatmap/erase-visitor.ts' },
  heatmap_selector_months: { how: 'corrected', by: 'reports/heatmap/erase-visitor.ts' },
  // sql/080, 081: funnels (ad-hoc ones read raw rows; saved ones keep per-unit attempts)
  funnels: { how: 'none', by: 'definitions' },
  funnel_state: { how: 'none', by: 'per funnel: build times only' },
  funnel_attempts: { how: 'visitor', by: 'reports/funnel/erase-visitor.ts' },
  funnel_order_links: { how: 'visitor', by: 'reports/funnel/erase-visitor.ts' },
  // sql/090: retention
  retention_visitor_first: { how: 'visitor', by: 'privacy/erase.ts deleteVisitorState' },
  retention_visitor_days: { how: 'visitor', by: 'privacy/erase.ts deleteVisitorState' },
  retention_customer_first: { how: 'corrected', by: 'privacy/commerce.ts (commerceSteps for the affected customers)' },
  retention_customer_slots: { how: 'corrected', by: 'privacy/commerce.ts' },
  retention_order_state: { how: 'corrected', by: 'privacy/commerce.ts' },
  // sql/091: visitor cohort counts (the erased visitors' contribution subtracted, then their period rows deleted)
  retention_cohort_zones: { how: 'none', by: 'the zone each site\'s cohort counts are kept in' },
  retention_visitor_periods: { how: 'visitor', by: 'reports/retention/cohort-counts.ts eraseVisitorsFromCohortCounts' },
  retention_cohort_counts: { how: 'corrected', by: 'reports/retention/cohort-counts.ts eraseVisitorsFromCohortCounts' },
  // sql/092: customer cohort counts
  retention_customer_cohort_zones: { how: 'none', by: 'the zone each site\'s customer cohort counts are kept in' },
  retention_customer_periods: { how: 'corrected', by: 'privacy/commerce.ts (commerceSteps: customer-cohort-counts.ts)' },
  retention_customer_cohort_counts: { how: 'corrected', by: 'privacy/commerce.ts (commerceSteps: customer-cohort-counts.ts)' },
  retention_customer_cohort_money: { how: 'corrected', by: 'privacy/commerce.ts (commerceSteps: customer-cohort-counts.ts)' },
  // sql/111: site search
  search_visitor_slots: { how: 'visitor', by: 'reports/search/erase-visitor.ts' },
  search_visitor_uids: { how: 'visitor', by: 'reports/search/erase-visitor.ts' },
  search_session_queries: { how: 'visitor', by: 'reports/search/erase-visitor.ts (the erased visitors\u2019 sessions)' },
  search_click_slots: { how: 'corrected', by: 'reports/search/erase-visitor.ts' },
  // sql/113: searcher day rows (recomputed from the erased visitors' slot rows, then subtracted)
  search_searcher_days: { how: 'corrected', by: 'reports/search/erase-visitor.ts (searcher-days.ts)' },
  // sql/112: discount codes (recomputed by revenueRollupSteps, which runs discountRollupSteps)
  order_discount_codes: { how: 'commerce', by: 'privacy/commerce.ts (ON DELETE CASCADE with the order)' },
  discount_code_slots: { how: 'corrected', by: 'privacy/commerce.ts' },
  discount_customer_slots: { how: 'corrected', by: 'privacy/commerce.ts' },
  discount_first_orders: { how: 'corrected', by: 'privacy/commerce.ts' },
};

/** Columns that make a site-scoped table hold a person's trace (coverage.test.ts). */
export const PERSON_COLUMNS = ['visitor_id', 'customer_id', 'user_id', 'visitor_key', 'customer_key', 'customer_hash', 'order_id', 'session_id'];
/** Table names that are rollups whatever their columns. */
export const ROLLUP_NAME = /(_rollups|_days|_slots|_months|_first.*|_state|_links)$/;
