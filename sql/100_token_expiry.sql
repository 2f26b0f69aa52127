-- Token management (issue #21): optional expiry. A token past expires_at is refused like a revoked
-- one (401), on every instance at once: tokens are looked up in PostgreSQL on every request, never
-- cached in a process. last_used_at (sql/001) is now kept, at most once a minute per token.
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
