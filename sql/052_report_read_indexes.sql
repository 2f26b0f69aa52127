-- Indexes matching report reads (issue #4 performance).
--
-- Revenue's exact distinct customers (sql/043) count the customer-slot rows of the range whose
-- previous slot is before it: ~195k rows for 90 days at 200k orders, each a heap fetch for
-- prev_slot with the primary key alone (revenue p50 93 ms at 30 days, bench 2026-11-29). With
-- prev_slot in the index it is an index-only count.
CREATE INDEX commerce_customer_slots_range ON commerce_customer_slots (site_id, currency, slot) INCLUDE (prev_slot);
