CREATE TABLE "search_summaries" (
	"tenant_id" text NOT NULL,
	"catalog_version" bigint NOT NULL,
	"query_key" text NOT NULL,
	"request" jsonb NOT NULL,
	"total" integer NOT NULL,
	"facets" jsonb NOT NULL,
	"top" jsonb NOT NULL,
	"computed_ms" integer NOT NULL,
	"hits" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "search_summaries_tenant_id_catalog_version_query_key_pk" PRIMARY KEY("tenant_id","catalog_version","query_key")
);
--> statement-breakpoint
CREATE TABLE "search_words" (
	"tenant_id" text NOT NULL,
	"word" text NOT NULL,
	"word_norm" text GENERATED ALWAYS AS (replace(replace(replace(replace(lower(word), 'ä', 'ae'), 'ö', 'oe'), 'ü', 'ue'), 'ß', 'ss')) STORED,
	"ndoc" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "search_words_tenant_id_word_pk" PRIMARY KEY("tenant_id","word")
);
--> statement-breakpoint
ALTER TABLE "search_summaries" ADD CONSTRAINT "search_summaries_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_words" ADD CONSTRAINT "search_words_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "search_words_trgm_idx" ON "search_words" USING gin ("tenant_id","word_norm" gin_trgm_ops);--> statement-breakpoint
-- Every statement that writes articles (sync upserts, COPY, fixtures) adds the words of their
-- names to the tenant's dictionary: one aggregate per statement, not per row. Words only (no
-- digits: sizes and numbers are matched exactly, never by spelling).
CREATE FUNCTION "search_words_collect"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_words (tenant_id, word, ndoc)
  SELECT n.tenant_id, w.word, count(*)::int
  FROM new_rows n, unnest(tsvector_to_array(to_tsvector('simple'::regconfig, n.name))) AS w(word)
  WHERE n.deleted_at IS NULL AND length(w.word) >= 3 AND w.word !~ '[0-9]'
  GROUP BY n.tenant_id, w.word
  ON CONFLICT (tenant_id, word) DO UPDATE SET ndoc = search_words.ndoc + excluded.ndoc;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER "articles_search_words_insert" AFTER INSERT ON "articles" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "search_words_collect"();--> statement-breakpoint
CREATE TRIGGER "articles_search_words_update" AFTER UPDATE ON "articles" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "search_words_collect"();--> statement-breakpoint
INSERT INTO search_words (tenant_id, word, ndoc)
SELECT a.tenant_id, w.word, count(*)::int
FROM articles a, unnest(tsvector_to_array(to_tsvector('simple'::regconfig, a.name))) AS w(word)
WHERE a.deleted_at IS NULL AND length(w.word) >= 3 AND w.word !~ '[0-9]'
GROUP BY a.tenant_id, w.word;
