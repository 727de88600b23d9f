-- Extensions the catalog needs: trigram similarity (typo tolerance), unaccent (ä/ae, ß/ss),
-- btree_gin (tenant_id leading GIN indexes). PGlite loads them as WASM extensions.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS unaccent;
--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS btree_gin;
