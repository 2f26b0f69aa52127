-- UTC-month copies of the heatmap cell and selector day tables (sql/071), kept by the same
-- batch upserts (src/reports/heatmap/rollup.ts), so a 90-day heatmap reads whole months here,
-- the remaining whole days from *_days and the edges from *_slots (common/split-range.ts, as the
-- product tables of sql/051 do). Measured on the 2M-event demo data (busiest page, desktop
-- clicks, 90 days): the cells query read 69,368 day rows and took 145–223 ms (bench 2026-12-04).
-- Scroll depth stays per day: its per-visitor rows barely shrink by month.
CREATE TABLE heatmap_cell_months (
  site_id bigint NOT NULL, host text NOT NULL, path text NOT NULL, device text NOT NULL, kind text NOT NULL,
  month date NOT NULL, cx integer NOT NULL, cy integer NOT NULL, points bigint NOT NULL,
  PRIMARY KEY (site_id, host, path, device, kind, month, cx, cy)
);
CREATE TABLE heatmap_selector_months (
  site_id bigint NOT NULL, host text NOT NULL, path text NOT NULL, device text NOT NULL, kind text NOT NULL,
  month date NOT NULL, selector text NOT NULL, points bigint NOT NULL,
  PRIMARY KEY (site_id, host, path, device, kind, month, selector)
);
-- The pages list reads every page of a site for a range: by (site, month) first.
CREATE INDEX heatmap_selector_months_site_month ON heatmap_selector_months (site_id, month);

INSERT INTO heatmap_cell_months (site_id, host, path, device, kind, month, cx, cy, points)
SELECT site_id, host, path, device, kind, date_trunc('month', day)::date, cx, cy, sum(points)
FROM heatmap_cell_days GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
INSERT INTO heatmap_selector_months (site_id, host, path, device, kind, month, selector, points)
SELECT site_id, host, path, device, kind, date_trunc('month', day)::date, selector, sum(points)
FROM heatmap_selector_days GROUP BY 1, 2, 3, 4, 5, 6, 7;
