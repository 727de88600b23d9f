import { type SQL, sql } from "drizzle-orm";
import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { tenantRef } from "./tenants.ts";
import { tsvector } from "./types.ts";

/** Attribute values as synced from the ERP's Merkmale: key -> value (unit folded in by the sync). */
export type ArticleAttributes = Record<string, string | number | boolean>;

/**
 * German full-text document of an article, weighted name (A) > brand and numbers (B) >
 * attributes (C) > description (D). Numbers use the `simple` config so they are not stemmed.
 * Immutable functions only, so Postgres can keep it as a stored generated column.
 */
const searchDocument: SQL = sql`
  setweight(to_tsvector('german'::regconfig, coalesce(name, '')), 'A')
  || setweight(to_tsvector('simple'::regconfig,
       coalesce(brand, '') || ' ' || coalesce(article_number, '') || ' ' ||
       coalesce(ean, '') || ' ' || coalesce(manufacturer_number, '')), 'B')
  || setweight(jsonb_to_tsvector('german'::regconfig, attributes, '["string", "numeric"]'), 'C')
  || setweight(to_tsvector('german'::regconfig, coalesce(description, '')), 'D')`;

/**
 * Lower-case name with umlauts and ß spelled out (ä -> ae, ß -> ss): what substring (compound
 * parts) and trigram (typo) matching compare against; queries are normalized the same way.
 */
export const NORMALIZE_SQL = (col: string) => `replace(replace(replace(replace(lower(${col}), 'ä', 'ae'), 'ö', 'oe'), 'ü', 'ue'), 'ß', 'ss')`;

export const articles = pgTable(
  "articles",
  {
    tenantId: tenantRef(),
    /** The ERP's article id: the sync's upsert key together with the tenant. */
    articleId: text("article_id").notNull(),
    /** ERP rowversion of the last change applied; incremental sync resumes past it. */
    rowversion: bigint("rowversion", { mode: "bigint" }).notNull(),
    articleNumber: text("article_number").notNull(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    brand: text("brand"),
    ean: text("ean"),
    manufacturerNumber: text("manufacturer_number"),
    categoryIds: text("category_ids").array().notNull().default(sql`'{}'::text[]`),
    attributes: jsonb("attributes").$type<ArticleAttributes>().notNull().default(sql`'{}'::jsonb`),
    search: tsvector("search").generatedAlwaysAs(searchDocument),
    nameNorm: text("name_norm").generatedAlwaysAs(sql.raw(NORMALIZE_SQL("name"))),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    /** Set by deletion reconciliation; deleted rows are kept briefly so deltas can be audited. */
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.articleId] }),
    index("articles_rowversion_idx").on(t.tenantId, t.rowversion),
    index("articles_number_idx").on(t.tenantId, t.articleNumber),
    index("articles_ean_idx").on(t.tenantId, t.ean),
    // Manufacturer numbers match case-insensitively, like article numbers.
    index("articles_mpn_lower_idx").on(t.tenantId, sql`lower(${t.manufacturerNumber})`),
    // Filters compare text case-insensitively (as the ERP's SQL Server does), so the indexes
    // that serve brand and category filters hold lower-case values (migration 0008).
    index("articles_brand_lower_idx").on(t.tenantId, sql`lower(${t.brand})`),
    // btree_gin lets tenant_id lead the GIN indexes too.
    index("articles_search_idx").using("gin", t.tenantId, t.search),
    index("articles_categories_lower_idx").using("gin", t.tenantId, sql`lower_array(${t.categoryIds})`),
    // No trigram index over names: parts of compound words and typos are looked up in the small
    // dictionary of name words (search_words) and matched through `search` (migration 0009).
    // Article-number prefixes ("SW-M8"), case-insensitive.
    index("articles_number_prefix_idx").on(t.tenantId, sql`lower(${t.articleNumber}) text_pattern_ops`),
  ],
);

export const media = pgTable(
  "media",
  {
    tenantId: tenantRef(),
    articleId: text("article_id").notNull(),
    mediaId: text("media_id").notNull(),
    rowversion: bigint("rowversion", { mode: "bigint" }).notNull(),
    kind: text("kind").$type<"image" | "datasheet" | "drawing" | "video">().notNull().default("image"),
    url: text("url").notNull(),
    alt: text("alt").notNull().default(""),
    position: integer("position").notNull().default(0),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.articleId, t.mediaId] }),
    index("media_rowversion_idx").on(t.tenantId, t.rowversion),
  ],
);

export const crossReferences = pgTable(
  "cross_references",
  {
    tenantId: tenantRef(),
    articleId: text("article_id").notNull(),
    kind: text("kind").$type<"accessory" | "replacement" | "similar" | "spare_part">().notNull(),
    targetArticleId: text("target_article_id").notNull(),
    rowversion: bigint("rowversion", { mode: "bigint" }).notNull(),
    position: integer("position").notNull().default(0),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.articleId, t.kind, t.targetArticleId] }),
    index("cross_references_rowversion_idx").on(t.tenantId, t.rowversion),
    index("cross_references_target_idx").on(t.tenantId, t.targetArticleId),
  ],
);

export const categories = pgTable(
  "categories",
  {
    tenantId: tenantRef(),
    categoryId: text("category_id").notNull(),
    parentId: text("parent_id"),
    name: text("name").notNull(),
    /** Ids from the root down to this category, for breadcrumbs and subtree filters. */
    path: text("path").array().notNull().default(sql`'{}'::text[]`),
    position: integer("position").notNull().default(0),
    rowversion: bigint("rowversion", { mode: "bigint" }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.categoryId] }),
    index("categories_parent_idx").on(t.tenantId, t.parentId),
    index("categories_rowversion_idx").on(t.tenantId, t.rowversion),
  ],
);
