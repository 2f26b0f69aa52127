-- Product pages are often addressed by a handle (Shopify: /products/<handle>, the title in
-- lower case with runs of other characters turned into '-') rather than by the store's id. The
-- product-traffic rollup resolves `/products/<segment>` to a product id: the product whose id is
-- the segment, else the one whose handle is (lowest id on a tie), else the segment as it is.
CREATE FUNCTION tally_product_handle(name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT trim(BOTH '-' FROM regexp_replace(lower(name), '[^a-z0-9]+', '-', 'g')) $$;

CREATE INDEX products_site_handle ON products (site_id, tally_product_handle(name));
