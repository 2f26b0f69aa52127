-- Share links (issue #20): a read-only link to a site's dashboard is an API token of kind
-- 'share_link' — read scope only (checked here, not just in the API), revocable and expiring like
-- any token, listed and revoked through /share-links without touching the site's API tokens.
ALTER TABLE api_tokens
  ADD COLUMN kind text NOT NULL DEFAULT 'api',
  ADD CONSTRAINT api_tokens_kind CHECK (kind IN ('api', 'share_link')),
  ADD CONSTRAINT api_tokens_share_link_read CHECK (kind <> 'share_link' OR scope = 'read');
