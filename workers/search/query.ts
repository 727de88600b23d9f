import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { filterNodeSchema } from "../../schema/query-descriptor.ts";
import type { Database } from "../db/client.ts";
import { badRequest } from "../errors.ts";
import { compileFilter } from "./compile.ts";
import { cleanQuery, likeEscape, looksLikeNumber, normalize, substringTerms } from "./normalize.ts";

export const SORTS = ["relevance", "name", "articleNumber"] as const;
const FACET = z.string().regex(/^(brand|category|attr:[^,]{1,100})$/, "brand, category or attr:<key>");

/** A search request, as both GET (query string) and POST (body) produce it. */
export const searchRequestSchema = z
  .object({
    q: z.string().max(10_000).default(""),
    filter: filterNodeSchema.optional(),
    facets: z.array(FACET).max(5).default([]),
    sort: z.enum(SORTS).default("relevance"),
    limit: z.int().min(1).max(1000).default(20),
    cursor: z.string().max(2000).optional(),
  })
  .strict();
export type SearchRequest = z.output<typeof searchRequestSchema>;

export interface SearchItem {
  articleId: string;
  articleNumber: string;
  name: string;
  brand: string | null;
  ean: string | null;
  manufacturerNumber: string | null;
  categoryIds: string[];
  score: number;
}

export interface SearchResponse {
  total: number;
  items: SearchItem[];
  facets: Record<string, { value: string; count: number }[]>;
  nextCursor: string | null;
  /** True when nothing matched as typed and these are near spellings (typo tolerance). */
  fuzzy: boolean;
}

interface Cursor {
  /** Sort key of the last row: score (relevance) or text (name / article number). */
  k: number | string;
  id: string;
  /** Set when the pages are near-spelling (fuzzy) results. */
  f?: 1;
}

const encodeCursor = (c: Cursor) => btoa(JSON.stringify(c)).replace(/=+$/, "");
function decodeCursor(raw: string, sort: SearchRequest["sort"]): Cursor {
  try {
    const c = JSON.parse(atob(raw)) as Cursor;
    const ok = typeof c.id === "string" && (sort === "relevance" ? typeof c.k === "number" && Number.isFinite(c.k) : typeof c.k === "string");
    if (ok) return c;
  } catch {
    /* fall through */
  }
  throw badRequest("Invalid query parameters", [{ path: "cursor", message: "not a cursor of this search" }]);
}

interface TextMatch {
  where: SQL;
  score: SQL;
}

/**
 * How a text query matches and scores (higher first), German B2B relevance:
 * exact article / EAN / manufacturer number 100, article-number prefix 50, then full-text rank
 * (stemmed, weighted name > brand/numbers > attributes > description) x10, plus 3 when the
 * stem of every word is part of the name (compound words: "edelstahl" in "Edelstahlschraube",
 * "Schrauben" in "Sechskantschraube"): below a whole-word name match (about 6), above a match
 * in attributes or description only.
 */
function textMatch(q: string): TextMatch | undefined {
  if (!q) return undefined;
  const qn = normalize(q);
  // Each branch must match an index of its own so the OR stays a BitmapOr, never a table scan:
  // lower(article_number) (prefix index), ean, manufacturer_number (as stored).
  const exact = sql`(lower(a.article_number) = ${qn} OR a.ean = ${q} OR a.manufacturer_number = ${q})`;
  const prefix = looksLikeNumber(q) ? sql`lower(a.article_number) LIKE ${`${likeEscape(q.toLowerCase())}%`}` : sql`false`;
  // Terms are [a-z0-9]+ (substringTerms), and so are their stems: safe inside a LIKE pattern.
  const parts = substringTerms(q).map((t) => sql`a.name_norm LIKE ('%' || coalesce((ts_lexize('german_stem', ${t}))[1], ${t}) || '%')`);
  const compound = parts.length > 0 ? sql`(${sql.join(parts, sql` AND `)})` : sql`false`;
  const tsq = sql`plainto_tsquery('german', ${q})`;
  return {
    where: sql`(a.search @@ ${tsq} OR ${exact} OR ${prefix} OR ${compound})`,
    score: sql`((CASE WHEN ${exact} THEN 100 ELSE 0 END) + (CASE WHEN ${prefix} THEN 50 ELSE 0 END) + ts_rank('{0.05, 0.2, 0.5, 1.0}', a.search, ${tsq})::float8 * 10 + (CASE WHEN ${compound} THEN 3 ELSE 0 END))`,
  };
}

/** Near spellings when nothing matched: every word similar to a word of the name (trigrams). */
function fuzzyMatch(q: string): TextMatch | undefined {
  const terms = normalize(q).split(/[^a-z0-9]+/).filter((t) => t.length >= 4).slice(0, 5);
  if (terms.length === 0) return undefined;
  return {
    where: sql`(${sql.join(terms.map((t) => sql`${t} <% a.name_norm`), sql` AND `)})`,
    score: sql`(${sql.join(terms.map((t) => sql`word_similarity(${t}, a.name_norm)`), sql` + `)})::float8`,
  };
}

function facetSql(facet: string): SQL {
  if (facet === "brand") return sql`SELECT brand AS value, count(*)::int AS count FROM matched WHERE brand IS NOT NULL GROUP BY brand ORDER BY count DESC, value LIMIT 50`;
  if (facet === "category") return sql`SELECT c AS value, count(*)::int AS count FROM matched, unnest(category_ids) c GROUP BY c ORDER BY count DESC, value LIMIT 50`;
  const key = facet.slice(5);
  return sql`SELECT attributes->>${key} AS value, count(*)::int AS count FROM matched WHERE attributes ? ${key} GROUP BY 1 ORDER BY count DESC, value LIMIT 50`;
}

async function run(db: Database, tenantId: string, req: SearchRequest, match: TextMatch | undefined, fuzzy = false): Promise<SearchResponse> {
  const filter = req.filter ? compileFilter(req.filter) : sql`true`;
  const score = match?.score ?? sql`0::float8`;
  const sortKey = req.sort === "name" ? sql`name` : req.sort === "articleNumber" ? sql`article_number` : sql`score`;
  const cursor = req.cursor ? decodeCursor(req.cursor, req.sort) : undefined;
  const after = !cursor
    ? sql`true`
    : req.sort === "relevance"
      ? sql`(score < ${cursor.k} OR (score = ${cursor.k} AND article_id > ${cursor.id}))`
      : sql`(${sortKey} COLLATE "C" > ${cursor.k} COLLATE "C" OR (${sortKey} = ${cursor.k} AND article_id > ${cursor.id}))`;
  const order = req.sort === "relevance" ? sql`score DESC, article_id ASC` : sql`${sortKey} COLLATE "C" ASC, article_id ASC`;
  const facets = req.facets.map((f, i) => sql`, (SELECT coalesce(json_agg(f${sql.raw(String(i))}), '[]'::json) FROM (${facetSql(f)}) f${sql.raw(String(i))}) AS facet_${sql.raw(String(i))}`);
  const result = await db.execute<Record<string, unknown>>(sql`
    WITH matched AS MATERIALIZED (
      SELECT a.article_id, a.article_number, a.name, a.brand, a.ean, a.manufacturer_number, a.category_ids, a.attributes, ${score} AS score
      FROM articles a
      WHERE a.tenant_id = ${tenantId} AND a.deleted_at IS NULL AND ${match?.where ?? sql`true`} AND ${filter}
    ),
    page AS (
      SELECT article_id, article_number, name, brand, ean, manufacturer_number, category_ids, score FROM matched
      WHERE ${after} ORDER BY ${order} LIMIT ${req.limit + 1}
    )
    SELECT (SELECT count(*)::int FROM matched) AS total,
      (SELECT coalesce(json_agg(p ORDER BY ${req.sort === "relevance" ? sql`p.score DESC, p.article_id` : req.sort === "name" ? sql`p.name COLLATE "C", p.article_id` : sql`p.article_number COLLATE "C", p.article_id`}), '[]'::json) FROM page p) AS items
      ${sql.join(facets, sql``)}`);
  const row = result.rows[0]!;
  const rows = (row.items as Record<string, unknown>[]).map(
    (r): SearchItem => ({
      articleId: String(r.article_id), articleNumber: String(r.article_number), name: String(r.name), brand: (r.brand as string | null) ?? null,
      ean: (r.ean as string | null) ?? null, manufacturerNumber: (r.manufacturer_number as string | null) ?? null, categoryIds: (r.category_ids as string[]) ?? [], score: Number(r.score),
    }),
  );
  const more = rows.length > req.limit;
  const items = more ? rows.slice(0, req.limit) : rows;
  const last = items.at(-1);
  const nextCursor = more && last ? encodeCursor({ k: req.sort === "relevance" ? last.score : req.sort === "name" ? last.name : last.articleNumber, id: last.articleId, ...(fuzzy && { f: 1 as const }) }) : null;
  return {
    total: Number(row.total),
    items,
    facets: Object.fromEntries(req.facets.map((f, i) => [f, row[`facet_${i}`] as { value: string; count: number }[]])),
    nextCursor,
    fuzzy,
  };
}

/** Runs a search for the tenant; with no hits for the words as typed, tries near spellings. */
export async function search(db: Database, tenantId: string, input: SearchRequest): Promise<SearchResponse> {
  const q = cleanQuery(input.q);
  const req = { ...input, q };
  const fuzzy = fuzzyMatch(q);
  if (req.cursor && decodeCursor(req.cursor, req.sort).f && fuzzy) return run(db, tenantId, req, fuzzy, true);
  const exact = await run(db, tenantId, req, textMatch(q));
  if (exact.total > 0 || !q || req.cursor || !fuzzy) return exact;
  return run(db, tenantId, req, fuzzy, true);
}
