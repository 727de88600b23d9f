-- What an incremental sync changed, as search saw it before (workers/search/roll.ts): search
-- summaries of the version before the run are rolled forward with these rows at its commit
-- instead of being counted again over the whole catalog.
CREATE TABLE "catalog_changes" (
	"tenant_id" text NOT NULL,
	"run_id" text NOT NULL,
	"article_id" text NOT NULL,
	"existed" boolean NOT NULL,
	"article_number" text,
	"name" text,
	"description" text,
	"brand" text,
	"ean" text,
	"manufacturer_number" text,
	"category_ids" text[],
	"attributes" jsonb,
	"search" "tsvector",
	"name_norm" text,
	CONSTRAINT "catalog_changes_tenant_id_run_id_article_id_pk" PRIMARY KEY("tenant_id","run_id","article_id")
);
--> statement-breakpoint
ALTER TABLE "catalog_changes" ADD CONSTRAINT "catalog_changes_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Summaries now keep every facet value (up to 1,000) so a short list is known to be whole; the
-- ones stored before kept 50 and cannot tell. They are computed again when next asked.
DELETE FROM "search_summaries";
