DROP INDEX "articles_mpn_idx";--> statement-breakpoint
CREATE INDEX "articles_mpn_lower_idx" ON "articles" USING btree ("tenant_id",lower("manufacturer_number"));