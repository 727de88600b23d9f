CREATE TABLE "tenants" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"config_version" integer DEFAULT 1 NOT NULL,
	"rollout_ring" text DEFAULT 'stable' NOT NULL,
	"catalog_version" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"disabled_at" timestamp with time zone,
	CONSTRAINT "tenants_id_format" CHECK ("tenants"."tenant_id" ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
	CONSTRAINT "tenants_ring" CHECK ("tenants"."rollout_ring" in ('canary', 'early', 'stable'))
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"tenant_id" text NOT NULL,
	"key_id" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"key_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_tenant_id_key_id_pk" PRIMARY KEY("tenant_id","key_id")
);
--> statement-breakpoint
CREATE TABLE "connector_tokens" (
	"tenant_id" text NOT NULL,
	"token_id" text NOT NULL,
	"connector_id" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "connector_tokens_tenant_id_token_id_pk" PRIMARY KEY("tenant_id","token_id")
);
--> statement-breakpoint
CREATE TABLE "connectors" (
	"tenant_id" text NOT NULL,
	"connector_id" text NOT NULL,
	"version" text DEFAULT '' NOT NULL,
	"capabilities" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"business_units" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"metrics" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text DEFAULT 'offline' NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "connectors_tenant_id_connector_id_pk" PRIMARY KEY("tenant_id","connector_id")
);
--> statement-breakpoint
CREATE TABLE "articles" (
	"tenant_id" text NOT NULL,
	"article_id" text NOT NULL,
	"rowversion" bigint NOT NULL,
	"article_number" text NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"brand" text,
	"ean" text,
	"manufacturer_number" text,
	"category_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"search" "tsvector" GENERATED ALWAYS AS (
  setweight(to_tsvector('german'::regconfig, coalesce(name, '')), 'A')
  || setweight(to_tsvector('simple'::regconfig,
       coalesce(brand, '') || ' ' || coalesce(article_number, '') || ' ' ||
       coalesce(ean, '') || ' ' || coalesce(manufacturer_number, '')), 'B')
  || setweight(jsonb_to_tsvector('german'::regconfig, attributes, '["string", "numeric"]'), 'C')
  || setweight(to_tsvector('german'::regconfig, coalesce(description, '')), 'D')) STORED,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "articles_tenant_id_article_id_pk" PRIMARY KEY("tenant_id","article_id")
);
--> statement-breakpoint
CREATE TABLE "categories" (
	"tenant_id" text NOT NULL,
	"category_id" text NOT NULL,
	"parent_id" text,
	"name" text NOT NULL,
	"path" text[] DEFAULT '{}'::text[] NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"rowversion" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "categories_tenant_id_category_id_pk" PRIMARY KEY("tenant_id","category_id")
);
--> statement-breakpoint
CREATE TABLE "cross_references" (
	"tenant_id" text NOT NULL,
	"article_id" text NOT NULL,
	"kind" text NOT NULL,
	"target_article_id" text NOT NULL,
	"rowversion" bigint NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "cross_references_tenant_id_article_id_kind_target_article_id_pk" PRIMARY KEY("tenant_id","article_id","kind","target_article_id")
);
--> statement-breakpoint
CREATE TABLE "media" (
	"tenant_id" text NOT NULL,
	"article_id" text NOT NULL,
	"media_id" text NOT NULL,
	"rowversion" bigint NOT NULL,
	"kind" text DEFAULT 'image' NOT NULL,
	"url" text NOT NULL,
	"alt" text DEFAULT '' NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "media_tenant_id_article_id_media_id_pk" PRIMARY KEY("tenant_id","article_id","media_id")
);
--> statement-breakpoint
CREATE TABLE "sync_checkpoints" (
	"tenant_id" text NOT NULL,
	"entity" text NOT NULL,
	"rowversion" bigint DEFAULT 0 NOT NULL,
	"run_id" text,
	"newest_change_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_checkpoints_tenant_id_entity_pk" PRIMARY KEY("tenant_id","entity")
);
--> statement-breakpoint
CREATE TABLE "sync_runs" (
	"tenant_id" text NOT NULL,
	"run_id" text NOT NULL,
	"mode" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"stage" text DEFAULT 'pending' NOT NULL,
	"trigger" text NOT NULL,
	"rows_done" bigint DEFAULT 0 NOT NULL,
	"rows_total" bigint,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "sync_runs_tenant_id_run_id_pk" PRIMARY KEY("tenant_id","run_id")
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"tenant_id" text NOT NULL,
	"event_id" bigint GENERATED ALWAYS AS IDENTITY (sequence name "audit_log_event_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"target" text DEFAULT '' NOT NULL,
	"request_id" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	CONSTRAINT "audit_log_tenant_id_event_id_pk" PRIMARY KEY("tenant_id","event_id")
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "connector_tokens" ADD CONSTRAINT "connector_tokens_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "connectors" ADD CONSTRAINT "connectors_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "articles" ADD CONSTRAINT "articles_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "categories" ADD CONSTRAINT "categories_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cross_references" ADD CONSTRAINT "cross_references_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "media" ADD CONSTRAINT "media_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_checkpoints" ADD CONSTRAINT "sync_checkpoints_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD CONSTRAINT "sync_runs_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "connector_tokens_connector_idx" ON "connector_tokens" USING btree ("tenant_id","connector_id");--> statement-breakpoint
CREATE INDEX "connector_tokens_active_idx" ON "connector_tokens" USING btree ("tenant_id") WHERE "connector_tokens"."revoked_at" is null;--> statement-breakpoint
CREATE INDEX "articles_rowversion_idx" ON "articles" USING btree ("tenant_id","rowversion");--> statement-breakpoint
CREATE INDEX "articles_number_idx" ON "articles" USING btree ("tenant_id","article_number");--> statement-breakpoint
CREATE INDEX "articles_ean_idx" ON "articles" USING btree ("tenant_id","ean");--> statement-breakpoint
CREATE INDEX "articles_mpn_idx" ON "articles" USING btree ("tenant_id","manufacturer_number");--> statement-breakpoint
CREATE INDEX "articles_brand_idx" ON "articles" USING btree ("tenant_id","brand");--> statement-breakpoint
CREATE INDEX "articles_search_idx" ON "articles" USING gin ("tenant_id","search");--> statement-breakpoint
CREATE INDEX "articles_categories_idx" ON "articles" USING gin ("tenant_id","category_ids");--> statement-breakpoint
CREATE INDEX "articles_attributes_idx" ON "articles" USING gin ("tenant_id","attributes" jsonb_path_ops);--> statement-breakpoint
CREATE INDEX "categories_parent_idx" ON "categories" USING btree ("tenant_id","parent_id");--> statement-breakpoint
CREATE INDEX "categories_rowversion_idx" ON "categories" USING btree ("tenant_id","rowversion");--> statement-breakpoint
CREATE INDEX "cross_references_rowversion_idx" ON "cross_references" USING btree ("tenant_id","rowversion");--> statement-breakpoint
CREATE INDEX "cross_references_target_idx" ON "cross_references" USING btree ("tenant_id","target_article_id");--> statement-breakpoint
CREATE INDEX "media_rowversion_idx" ON "media" USING btree ("tenant_id","rowversion");--> statement-breakpoint
CREATE UNIQUE INDEX "sync_runs_one_running_idx" ON "sync_runs" USING btree ("tenant_id") WHERE "sync_runs"."status" = 'running';