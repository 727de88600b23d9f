-- Filters compare text case-insensitively, as the ERP's SQL Server does (see
-- workers/search/compile.ts), so brand and category filters need indexes on lower-case values:
-- without them a category page or a brand filter scanned every article of the tenant (1.7 s at
-- 1.5M articles). The old indexes on the raw values were used by no query; the jsonb_path_ops
-- index on attributes was not either (attribute filters are case-insensitive too) and it cost
-- about 20 GIN entries per article written by the sync, so it goes without a replacement.
-- Casting text[] to text is only STABLE in general (element output functions may depend on
-- settings); for text elements it is a pure function, hence IMMUTABLE here.
CREATE FUNCTION "lower_array"(text[]) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT lower($1::text)::text[] $$;--> statement-breakpoint
DROP INDEX "articles_brand_idx";--> statement-breakpoint
DROP INDEX "articles_categories_idx";--> statement-breakpoint
DROP INDEX "articles_attributes_idx";--> statement-breakpoint
CREATE INDEX "articles_brand_lower_idx" ON "articles" USING btree ("tenant_id",lower("brand"));--> statement-breakpoint
CREATE INDEX "articles_categories_lower_idx" ON "articles" USING gin ("tenant_id",lower_array("category_ids"));
