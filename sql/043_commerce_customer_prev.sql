-- Distinct customers over a range without hashing every customer of the range: each
-- (currency, slot, customer) row also records the customer's previous slot with a paid order in
-- that currency. A customer has an order in [A, B) exactly when one of their rows in [A, B) has
-- no previous slot or one before A (their first row in the range), so
--   customers(A, B) = count(*) WHERE slot ∈ [A, B) AND (prev_slot IS NULL OR prev_slot < A),
-- a filtered count instead of count(DISTINCT).
ALTER TABLE commerce_customer_slots ADD COLUMN prev_slot timestamptz;
-- A customer's rows, to recompute prev_slot when their orders change.
CREATE INDEX commerce_customer_slots_customer ON commerce_customer_slots (site_id, customer_hash, currency, slot);

-- prev_slot must be filled for every row: rebuild the commerce-table rollups on the next run.
TRUNCATE commerce_customer_slots, commerce_order_state, commerce_refund_state;
DELETE FROM commerce_rollup_watermarks WHERE name = 'revenue';
