CREATE TABLE "search_index_builds" (
	"tenant_id" text NOT NULL,
	"catalog_version" bigint NOT NULL,
	"articles" integer NOT NULL,
	"build_ms" integer NOT NULL,
	"built_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "search_index_builds_tenant_id_catalog_version_pk" PRIMARY KEY("tenant_id","catalog_version")
);
--> statement-breakpoint
CREATE TABLE "search_index_columns" (
	"tenant_id" text NOT NULL,
	"catalog_version" bigint NOT NULL,
	"facet" text NOT NULL,
	"facet_values" text[] NOT NULL,
	"groups" jsonb,
	"width" smallint NOT NULL,
	"codes" "bytea" NOT NULL,
	CONSTRAINT "search_index_columns_tenant_id_catalog_version_facet_pk" PRIMARY KEY("tenant_id","catalog_version","facet")
);
--> statement-breakpoint
CREATE TABLE "search_index_ordinals" (
	"tenant_id" text NOT NULL,
	"catalog_version" bigint NOT NULL,
	"chunk" integer NOT NULL,
	"article_ids" text[] NOT NULL,
	CONSTRAINT "search_index_ordinals_tenant_id_catalog_version_chunk_pk" PRIMARY KEY("tenant_id","catalog_version","chunk")
);
--> statement-breakpoint
CREATE TABLE "search_index_words" (
	"tenant_id" text NOT NULL,
	"catalog_version" bigint NOT NULL,
	"word" text NOT NULL,
	"matches" integer NOT NULL,
	"bits" "bytea" NOT NULL,
	"width" smallint NOT NULL,
	"codes" "bytea" NOT NULL,
	"ranks" double precision[] NOT NULL,
	CONSTRAINT "search_index_words_tenant_id_catalog_version_word_pk" PRIMARY KEY("tenant_id","catalog_version","word")
);
--> statement-breakpoint
ALTER TABLE "search_index_builds" ADD CONSTRAINT "search_index_builds_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_index_columns" ADD CONSTRAINT "search_index_columns_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_index_ordinals" ADD CONSTRAINT "search_index_ordinals_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_index_words" ADD CONSTRAINT "search_index_words_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "search_index_ordinals_first_idx" ON "search_index_ordinals" USING btree ("tenant_id","catalog_version",("article_ids"[1]));