-- Revenue's exact customer counts at day grain (issue #4 performance).
--
-- customers(A, B) = count of commerce_customer_slots rows in [A, B) whose prev_slot is before A
-- (sql/043). At 90 days and 200k orders that read ~195k index tuples: revenue p95 141–209 ms at
-- full size (docs/benchmarks.md, 2026-11-29). Report ranges start and end on quarter hours (any
-- IANA zone), so the slot rows stay the source of truth; these tables let the whole UTC days
-- inside a range be read at day grain (src/reports/revenue-customers.ts has the formula):
--
-- commerce_customer_day_links: per (site, currency, UTC day, prev_day) the number of customers
--   whose first slot row of that UTC day has its previous slot on UTC day prev_day
--   ('-infinity' = no earlier paid order in this currency). It is a pure aggregate of the slot
--   rows that start a customer's UTC day (prev_slot NULL or on an earlier UTC day), so the job
--   keeps it by adding the deltas of the slot rows it deletes, inserts and re-links.
--   A 90-day range sums ~days × distinct earlier days rows instead of ~195k slot rows.
CREATE TABLE commerce_customer_day_links (
  site_id bigint NOT NULL,
  currency char(3) NOT NULL,
  day date NOT NULL,
  prev_day date NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (site_id, currency, day, prev_day)
);

-- Edge correction: slot rows of the range's whole days whose previous slot lies in the partial
-- UTC day before the range start (a range read at prev_slot ∈ [day start, range start)). Only
-- rows with a previous slot can match, so the index leaves out the first orders (most rows).
CREATE INDEX commerce_customer_slots_prev ON commerce_customer_slots (site_id, currency, prev_slot) INCLUDE (slot)
  WHERE prev_slot IS NOT NULL;

-- commerce_customer_first_slots: new customers per (site, currency, quarter-hour slot of their
-- first paid order): ≤ 8,640 rows for 90 days instead of counting one index tuple per customer.
CREATE TABLE commerce_customer_first_slots (
  site_id bigint NOT NULL,
  currency char(3) NOT NULL,
  slot timestamptz NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (site_id, currency, slot)
);

-- Existing installations: derive both from the current rows.
INSERT INTO commerce_customer_day_links (site_id, currency, day, prev_day, n)
SELECT site_id, currency, (slot AT TIME ZONE 'UTC')::date, coalesce((prev_slot AT TIME ZONE 'UTC')::date, '-infinity'), count(*)
FROM commerce_customer_slots
WHERE prev_slot IS NULL OR (prev_slot AT TIME ZONE 'UTC')::date < (slot AT TIME ZONE 'UTC')::date
GROUP BY 1, 2, 3, 4;

INSERT INTO commerce_customer_first_slots (site_id, currency, slot, n)
SELECT site_id, currency, tally_slot(first_paid_at), count(*)
FROM commerce_customer_first
GROUP BY 1, 2, 3;
