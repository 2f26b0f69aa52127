-- Site settings for site search (issue #19, contract §3 and §4.6): the URL query parameters whose
-- presence on a pageview makes it a search (`["q", "s"]`); empty = none. Parameter names compare
-- exactly as sent (URLSearchParams keys). Kept on the site row so the ingest's site cache carries it.
ALTER TABLE sites
  ADD COLUMN search_params text[] NOT NULL DEFAULT '{}'
    CHECK (cardinality(search_params) <= 10);
