import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { NORMALIZE_SQL } from "./catalog.ts";
import { tsvector } from "./types.ts";
import { tenantRef } from "./tenants.ts";

/**
 * The words of the tenant's article names, each at least 2 characters: a few hundred rows
 * instead of 1.5M names. Two uses:
 * - typo tolerance: a misspelt query word is corrected against the `correctable` words (letters
 *   only, 3 or more), by trigram similarity;
 * - parts of compound words and sizes: a query word becomes every name word that contains it
 *   ("schraube" -> "sechskantschraube", "m8" -> "m8x40"), so the match stays a full-text index
 *   lookup instead of a substring scan over 1.5M names.
 * Kept by a statement trigger on `articles` (migration 0004) and by the sync writer (0007),
 * so every way rows arrive feeds it. Words are never removed: a word no name has any more
 * only costs a lexeme that matches nothing.
 */
export const searchWords = pgTable(
  "search_words",
  {
    tenantId: tenantRef(),
    /** Lower case, as in the name: what the corrected query is made of. */
    word: text("word").notNull(),
    /** Spelled out like `name_norm` (ä -> ae, ß -> ss): what a query word is compared with. */
    wordNorm: text("word_norm").generatedAlwaysAs(sql.raw(NORMALIZE_SQL("word"))),
    /** Letters only, 3 or more: a word a typo may be corrected to (never a size or a number). */
    correctable: boolean("correctable").generatedAlwaysAs(sql`word !~ '[0-9]' AND length(word) >= 3`),
    /** Rows that brought the word (a popularity hint for choosing between corrections). */
    ndoc: integer("ndoc").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.word] }), index("search_words_trgm_idx").using("gin", t.tenantId, sql`${t.wordNorm} gin_trgm_ops`)],
);

export interface SummaryRequest {
  q: string;
  filter?: unknown;
}
export type FacetCounts = Record<string, { value: string; count: number }[]>;

/**
 * What a search costs to count: total, facet counts and the best-ranked ids of one query
 * (text + filter) at one catalog version. Written for queries that were slow to answer and
 * rebuilt for the hot ones when a sync moves the version, so a broad query ("Edelstahl",
 * 400k hits) reads one row and fetches a page by primary key instead of counting and ranking
 * every match again.
 */
export const searchSummaries = pgTable(
  "search_summaries",
  {
    tenantId: tenantRef(),
    catalogVersion: bigint("catalog_version", { mode: "number" }).notNull(),
    /** sha-256 of the canonical request (query text, filter). */
    queryKey: text("query_key").notNull(),
    request: jsonb("request").$type<SummaryRequest>().notNull(),
    total: integer("total").notNull(),
    facets: jsonb("facets").$type<FacetCounts>().notNull(),
    /** [articleId, score] in relevance order, at most SUMMARY_TOP of them. */
    top: jsonb("top").$type<[string, number][]>().notNull(),
    computedMs: integer("computed_ms").notNull(),
    hits: integer("hits").notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.catalogVersion, t.queryKey] })],
);

/**
 * What an incremental sync run changed in the catalog, as search saw it before: one row per
 * article the run wrote (first write wins, so a replayed batch keeps the state before the run),
 * with the searchable columns as they were, `existed` false for an article that was new or
 * deleted. Search summaries of the version before the run are rolled forward with it (the
 * changed rows' old matches taken out, their new ones put in) instead of counting the whole
 * catalog again (workers/search/roll.ts); emptied once they are. Full runs write none: their
 * summaries are computed anew.
 */
export const catalogChanges = pgTable(
  "catalog_changes",
  {
    tenantId: tenantRef(),
    runId: text("run_id").notNull(),
    articleId: text("article_id").notNull(),
    existed: boolean("existed").notNull(),
    // The columns a search reads (matchedSql, filters, facets), under the names it reads them by.
    articleNumber: text("article_number"),
    name: text("name"),
    description: text("description"),
    brand: text("brand"),
    ean: text("ean"),
    manufacturerNumber: text("manufacturer_number"),
    categoryIds: text("category_ids").array(),
    attributes: jsonb("attributes"),
    search: tsvector("search"),
    nameNorm: text("name_norm"),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.runId, t.articleId] })],
);
