ALTER TABLE "search_index_words" ALTER COLUMN "bits" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "search_index_words" ADD COLUMN "gaps" "bytea";--> statement-breakpoint
ALTER TABLE "search_index_words" ADD CONSTRAINT "search_index_words_one_form" CHECK (("search_index_words"."bits" IS NULL) <> ("search_index_words"."gaps" IS NULL));