import { sql } from "drizzle-orm";
import { bigint, check, doublePrecision, index, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp } from "drizzle-orm/pg-core";
import { bytea } from "./types.ts";
import { tenantRef } from "./tenants.ts";

/**
 * The word index of one catalog version (workers/search/word-index.ts): the live articles
 * numbered 0..n-1 in article-id order (so ties, broken by article id, are broken by number),
 * each common word's matches as a bitmap over those numbers with each match's rank, and the
 * facet values as columns over the same numbers. A query of common words is then counted,
 * ranked and faceted in the Worker from a few of these rows instead of reading its tens of
 * thousands of matching articles. Built in one snapshot after a sync commits (a version has
 * all of its rows or none); dropped with the version.
 */
export const searchIndexBuilds = pgTable(
  "search_index_builds",
  {
    tenantId: tenantRef(),
    catalogVersion: bigint("catalog_version", { mode: "number" }).notNull(),
    /** Live articles numbered. */
    articles: integer("articles").notNull(),
    buildMs: integer("build_ms").notNull(),
    builtAt: timestamp("built_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.catalogVersion] })],
);

/** Article ids by number, ORDINAL_CHUNK to a row (small enough to stay inline, uncompressed). */
export const searchIndexOrdinals = pgTable(
  "search_index_ordinals",
  {
    tenantId: tenantRef(),
    catalogVersion: bigint("catalog_version", { mode: "number" }).notNull(),
    chunk: integer("chunk").notNull(),
    articleIds: text("article_ids").array().notNull(),
  },
  // The first id of each chunk, to find the chunk an id is in (and so its number).
  (t) => [primaryKey({ columns: [t.tenantId, t.catalogVersion, t.chunk] }), index("search_index_ordinals_first_idx").on(t.tenantId, t.catalogVersion, sql`(${t.articleIds}[1])`)],
);

/**
 * One facet's value of every article, by number: `codes` holds `width` bytes per article (big
 * endian), the index of its value in `facetValues` (sorted as Postgres sorts them, so counts tie
 * in the order the database breaks them), all ones for none. For the category facet a code
 * names an article's category list, and `groups` holds each list's categories as indexes into
 * `facetValues`.
 */
export const searchIndexColumns = pgTable(
  "search_index_columns",
  {
    tenantId: tenantRef(),
    catalogVersion: bigint("catalog_version", { mode: "number" }).notNull(),
    facet: text("facet").notNull(),
    facetValues: text("facet_values").array().notNull(),
    groups: jsonb("groups").$type<number[][]>(),
    width: smallint("width").notNull(),
    codes: bytea("codes").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.catalogVersion, t.facet] })],
);

/**
 * One query word's matches (the word's tsquery with its name-word expansions, match.ts), in one
 * of two forms, whichever is smaller: `bits`, with bit i (most significant first) set when
 * article i matches (a common word: ~190 KB at 1.5M articles), or `gaps`, the distance of each
 * match's number from the one before (the first from -1) as unsigned LEB128 (a rarer word: a
 * byte or two per match). `codes` holds `width` bytes per match, in number order: the index of
 * its rank in `ranks` times two, plus one when the word's stem is inside the name.
 */
export const searchIndexWords = pgTable(
  "search_index_words",
  {
    tenantId: tenantRef(),
    catalogVersion: bigint("catalog_version", { mode: "number" }).notNull(),
    /** The word in lower case, as a query types it. */
    word: text("word").notNull(),
    matches: integer("matches").notNull(),
    bits: bytea("bits"),
    gaps: bytea("gaps"),
    width: smallint("width").notNull(),
    codes: bytea("codes").notNull(),
    ranks: doublePrecision("ranks").array().notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.catalogVersion, t.word] }), check("search_index_words_one_form", sql`(${t.bits} IS NULL) <> (${t.gaps} IS NULL)`)],
);
