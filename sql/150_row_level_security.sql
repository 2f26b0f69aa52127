-- Row-level security as defence in depth (issue #21 point 3): report and API reads run as the
-- NOLOGIN role tally_report_reader with `tally.site_id` set for their transaction
-- (src/db/rls.ts), and see only that site's rows even when a query forgot its site filter.
--
-- Who bypasses: the table owner (the user that ran the migrations, i.e. the app's own user, which
-- ingestion, the importer and the jobs use) because RLS is ENABLEd, not FORCEd; superusers and
-- BYPASSRLS roles always. The policies restrict tally_report_reader only.
--
-- Partitioned tables: a policy on the parent applies to every query through the parent, but not
-- to a query naming a partition directly (a partition has its own, here disabled, RLS). So the
-- reader is granted SELECT on parents and plain tables only, never on a partition: a direct
-- partition read by the reader is a permission error instead of a leak, and the partitions the
-- partition job creates later (as the owner, no grant) stay closed the same way.
--
-- This file loops over every table that exists when it runs (it is the last migration number of
-- its session, so every site-scoped table added before it is covered); src/db/rls.test.ts fails
-- for a later table with `site_id` and no policy.
--
-- On a managed PostgreSQL the app's user may not be allowed to CREATE ROLE: then this migration
-- logs a NOTICE and leaves RLS off instead of failing; src/db/rls.ts detects it at start-up
-- (a warning in the log) and report reads run as the owner, as before.
DO $rls$
DECLARE
  reader constant text := 'tally_report_reader';
  policy_using constant text := 'site_id = NULLIF(current_setting(''tally.site_id'', true), '''')::bigint';
  t record;
BEGIN
  BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = reader) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN', reader);
    END IF;
  EXCEPTION
    WHEN insufficient_privilege THEN
      RAISE NOTICE 'row-level security off: % may not create role % (%)', current_user, reader, SQLERRM;
      RETURN;
    WHEN duplicate_object OR unique_violation THEN
      NULL; -- another database of this cluster migrating at the same moment created it
  END;
  -- The app's user must be able to SET ROLE to the reader (a superuser can anyway).
  BEGIN
    IF NOT pg_has_role(current_user, reader, 'MEMBER') THEN
      EXECUTE format('GRANT %I TO %I', reader, current_user);
    END IF;
  EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'row-level security off: % may not be granted role % (%)', current_user, reader, SQLERRM;
    RETURN;
  END;

  EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), reader);

  -- Every plain or partitioned table of this schema that is not itself a partition.
  FOR t IN
    SELECT c.relname,
           EXISTS (SELECT 1 FROM pg_attribute a
                   WHERE a.attrelid = c.oid AND a.attname = 'site_id' AND a.attnum > 0 AND NOT a.attisdropped) AS scoped
    FROM pg_class c
    WHERE c.relnamespace = current_schema()::regnamespace
      AND c.relkind IN ('r', 'p')
      AND NOT c.relispartition
    ORDER BY c.relname
  LOOP
    IF t.scoped THEN
      EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.relname);
      EXECUTE format('DROP POLICY IF EXISTS tally_site_isolation ON %I', t.relname);
      EXECUTE format('CREATE POLICY tally_site_isolation ON %I FOR SELECT TO %I USING (%s)', t.relname, reader, policy_using);
    END IF;
    -- Token hashes are never a report's business: the reader gets no grant on them at all.
    IF t.relname <> 'api_tokens' THEN
      EXECUTE format('GRANT SELECT ON %I TO %I', t.relname, reader);
    END IF;
  END LOOP;

  -- sites is keyed by id, not site_id: the reader sees its own site's row only.
  ALTER TABLE sites ENABLE ROW LEVEL SECURITY;
  DROP POLICY IF EXISTS tally_site_isolation ON sites;
  EXECUTE format('CREATE POLICY tally_site_isolation ON sites FOR SELECT TO %I USING (id = NULLIF(current_setting(''tally.site_id'', true), '''')::bigint)', reader);
END
$rls$;
