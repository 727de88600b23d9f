import { desc, eq, type SQL, sql } from "drizzle-orm";
import { searchWords } from "../../schema/search.ts";
import type { Database } from "../db/client.ts";
import { expandedWord, stemInName, wordRank } from "./match.ts";
import { normalize } from "./normalize.ts";
import { indexableWord, NONE, ORDINAL_CHUNK } from "./index-format.ts";

/** Tables of the word index (schema/search-index.ts), cleared per version together. */
const INDEX_TABLES = ["search_index_words", "search_index_columns", "search_index_ordinals", "search_index_builds"] as const;

export interface IndexBuild {
  articles: number;
  /** Words indexed (a word that is a stop word, or that the index cannot hold, is left out). */
  words: number;
  /** Facets with a column (one with more values than a column holds is left out). */
  facets: number;
  ms: number;
}

/**
 * Builds the word index of `version` (schema/search-index.ts) for `words` (lower case, as a
 * query types them) and `facets` ("brand", "category", "attr:<key>"), in one repeatable-read
 * snapshot, so the numbers, the columns and every word's matches describe the same catalog; a
 * build of a version replaces the one before. All in SQL: nothing of the 1.5M rows comes to
 * the Worker. At 1.5M articles a common word costs what counting it once does (0.1-2 s).
 */
export async function buildWordIndex(db: Database, tenantId: string, version: number, words: readonly string[], facets: readonly string[]): Promise<IndexBuild> {
  const started = performance.now();
  const wanted = [...new Set(words.map((w) => w.toLowerCase()))].filter((w) => indexableWord(w));
  const attrs = [...new Set(facets.filter((f) => f.startsWith("attr:")).map((f) => f.slice(5)))];
  return db.transaction(
    async (tx) => {
      for (const table of INDEX_TABLES) await tx.execute(sql`DELETE FROM ${sql.identifier(table)} WHERE tenant_id = ${tenantId} AND catalog_version = ${version}`);
      const attrCols = attrs.map((k, i) => sql`, a.attributes->>${k} AS ${sql.identifier(`attr_${i}`)}`);
      // The live articles numbered in article-id order, with what the facet columns are made of.
      await tx.execute(sql`CREATE TEMP TABLE search_index_numbers ON COMMIT DROP AS
        SELECT (row_number() OVER (ORDER BY a.article_id) - 1)::int AS ord, a.article_id, a.brand, a.category_ids ${sql.join(attrCols, sql``)}
        FROM articles a WHERE a.tenant_id = ${tenantId} AND a.deleted_at IS NULL`);
      await tx.execute(sql`CREATE INDEX ON search_index_numbers (article_id)`);
      await tx.execute(sql`ANALYZE search_index_numbers`);
      const counted = await tx.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM search_index_numbers`);
      const n = counted.rows[0]!.n;
      const chunk = sql.raw(String(ORDINAL_CHUNK));
      await tx.execute(sql`INSERT INTO search_index_ordinals (tenant_id, catalog_version, chunk, article_ids)
        SELECT ${tenantId}, ${version}, ord / ${chunk}, array_agg(article_id ORDER BY ord) FROM search_index_numbers GROUP BY ord / ${chunk}`);
      let columns = 0;
      for (const facet of ["brand", "category", ...attrs.map((k) => `attr:${k}`)]) {
        if (!facets.includes(facet)) continue;
        const source = facet === "brand" ? sql`brand` : sql`${sql.identifier(`attr_${attrs.indexOf(facet.slice(5))}`)}`;
        const built = facet === "category" ? await tx.execute(categoryColumn(tenantId, version)) : await tx.execute(valueColumn(tenantId, version, facet, source));
        columns += built.rowCount ?? 0;
      }
      let indexed = 0;
      for (const w of wanted) indexed += (await tx.execute(wordEntry(tenantId, version, w, n))).rowCount ?? 0;
      const ms = Math.round(performance.now() - started);
      await tx.execute(sql`INSERT INTO search_index_builds (tenant_id, catalog_version, articles, build_ms) VALUES (${tenantId}, ${version}, ${n}, ${ms})`);
      return { articles: n, words: indexed, facets: columns, ms };
    },
    { isolationLevel: "repeatable read" },
  );
}

/** The codes of `code` (an int, NULL for none) in `width` bytes, as hex, in number order. */
const packed = (code: SQL, width: SQL) => sql`decode(coalesce(string_agg(lpad(to_hex(coalesce(${code}, ${sql.raw(String(NONE))} >> (8 * (2 - ${width})))), 2 * ${width}, '0'), '' ORDER BY o.ord), ''), 'hex')`;

/** Width in bytes of codes 0..k-1 plus "none"; NULL when more than two bytes would be needed. */
const widthFor = (k: SQL) => sql`CASE WHEN ${k} < 255 THEN 1 WHEN ${k} < ${sql.raw(String(NONE))} THEN 2 END`;

/** A column of one text value per article (brand, an attribute): its values sorted as Postgres sorts them. */
function valueColumn(tenantId: string, version: number, facet: string, source: SQL): SQL {
  return sql`INSERT INTO search_index_columns (tenant_id, catalog_version, facet, facet_values, width, codes)
    WITH d AS MATERIALIZED (SELECT value, (row_number() OVER (ORDER BY value) - 1)::int AS code FROM (SELECT DISTINCT ${source} AS value FROM search_index_numbers WHERE ${source} IS NOT NULL) x),
      w AS (SELECT ${widthFor(sql`(SELECT count(*) FROM d)`)} AS width)
    SELECT ${tenantId}, ${version}, ${facet}, (SELECT coalesce(array_agg(value ORDER BY code), '{}') FROM d), w.width,
      (SELECT ${packed(sql`d.code`, sql`w.width`)} FROM search_index_numbers o LEFT JOIN d ON d.value = o.${source})
    FROM w WHERE w.width IS NOT NULL`;
}

/**
 * The category column: a code per distinct category list (the facet counts lists, then spreads
 * each list's count over its categories, as the database's facet does), `groups` the lists.
 */
function categoryColumn(tenantId: string, version: number): SQL {
  return sql`INSERT INTO search_index_columns (tenant_id, catalog_version, facet, facet_values, groups, width, codes)
    WITH c AS MATERIALIZED (SELECT value, (row_number() OVER (ORDER BY value) - 1)::int AS code FROM (SELECT DISTINCT unnest(category_ids) AS value FROM search_index_numbers) x),
      l AS MATERIALIZED (SELECT list, (row_number() OVER () - 1)::int AS code FROM (SELECT DISTINCT category_ids AS list FROM search_index_numbers WHERE category_ids IS NOT NULL) x),
      w AS (SELECT ${widthFor(sql`(SELECT count(*) FROM l)`)} AS width)
    SELECT ${tenantId}, ${version}, 'category', (SELECT coalesce(array_agg(value ORDER BY code), '{}') FROM c),
      (SELECT coalesce(jsonb_agg((SELECT coalesce(jsonb_agg(c.code ORDER BY c.code), '[]') FROM unnest(l.list) v JOIN c ON c.value = v) ORDER BY l.code), '[]') FROM l),
      w.width, (SELECT ${packed(sql`l.code`, sql`w.width`)} FROM search_index_numbers o LEFT JOIN l ON l.list = o.category_ids)
    FROM w WHERE w.width IS NOT NULL`;
}

/**
 * A word whose matches are fewer than one in this many articles is stored as gaps: with an
 * average gap of 16 or more most gaps take one byte, so the gaps are at most about half the bitmap.
 */
const GAPS_BELOW = 16;

/**
 * The gaps between the numbers (`ord`, distinct, >= 0) of relation `rel`, ascending, the first
 * from -1, as bytes (schema/search-index.ts): each gap in 7-bit groups, least significant first,
 * all but the last with the high bit set (unsigned LEB128). A gap's bytes are composed into one
 * bigint per row and written as hex: no row per byte, so 40k gaps take ~30 ms.
 */
export function gapsOf(rel: SQL): SQL {
  const lengths = [1, 2, 3, 4, 5].map((len) => `WHEN ${len} THEN ${Array.from({ length: len }, (_, k) => `((((gap >> ${7 * k}) & 127) | ${k < len - 1 ? 128 : 0}) << ${8 * (len - 1 - k)})`).join(" | ")}`);
  return sql`(SELECT decode(coalesce(string_agg(lpad(to_hex(CASE len ${sql.raw(lengths.join(" "))} END), 2 * len, '0'), '' ORDER BY ord), ''), 'hex')
    FROM (SELECT ord, gap, 1 + (gap >= 128)::int + (gap >= 16384)::int + (gap >= 2097152)::int + (gap >= 268435456)::int AS len
      FROM (SELECT ord, (ord - coalesce(lag(ord) OVER (ORDER BY ord), -1))::int8 AS gap FROM ${rel}) x) gp)`;
}

/**
 * One word's entry: its matches (the tsquery a query of it matches by, expansions included) as a
 * bitmap over the numbers or, for a rarer word, as gaps between them (schema/search-index.ts),
 * and per match its rank and whether its stem is in the name. Nothing is written for a stop word
 * (the database leaves it out of a query, so no entry can stand for it) or for one with more
 * distinct ranks than two bytes code. Each match's number is looked up by its id: the planner,
 * blind to how many articles the word's tsquery matches, would hash all the numbers (~200 ms at
 * 1.5M) even for a size with 2,000 matches (20 ms looked up).
 */
function wordEntry(tenantId: string, version: number, w: string, n: number): SQL {
  return sql`INSERT INTO search_index_words (tenant_id, catalog_version, word, matches, bits, gaps, width, codes, ranks)
    WITH m AS MATERIALIZED (SELECT (SELECT o.ord FROM search_index_numbers o WHERE o.article_id = a.article_id) AS ord, ${wordRank(w)} AS r, ${stemInName(normalize(w))} AS in_name
        FROM articles a
        WHERE a.tenant_id = ${tenantId} AND a.deleted_at IS NULL AND a.search @@ ${expandedWord(tenantId, w)}),
      d AS MATERIALIZED (SELECT r, (row_number() OVER (ORDER BY r) - 1)::int AS ri FROM (SELECT DISTINCT r FROM m) x),
      w AS (SELECT CASE WHEN count(*) <= 128 THEN 1 WHEN count(*) <= 32768 THEN 2 END AS width FROM d),
      b AS (SELECT ord >> 3 AS i, bit_or(128 >> (ord & 7)) AS v FROM m GROUP BY 1),
      f AS (SELECT count(*)::int AS matches, count(*) * ${sql.raw(String(GAPS_BELOW))} < ${n} AS gaps FROM m)
    SELECT ${tenantId}, ${version}, ${w}, f.matches,
      CASE WHEN NOT f.gaps THEN (SELECT decode(coalesce(string_agg(lpad(to_hex(coalesce(b.v, 0)), 2, '0'), '' ORDER BY g.i), ''), 'hex') FROM generate_series(0, ${Math.ceil(n / 8) - 1}) g(i) LEFT JOIN b ON b.i = g.i) END,
      CASE WHEN f.gaps THEN ${gapsOf(sql`m`)} END,
      w.width,
      (SELECT decode(coalesce(string_agg(lpad(to_hex(d.ri * 2 + m.in_name::int), 2 * w.width, '0'), '' ORDER BY m.ord), ''), 'hex') FROM m JOIN d ON d.r = m.r),
      (SELECT coalesce(array_agg(r ORDER BY ri), '{}') FROM d)
    FROM w, f WHERE w.width IS NOT NULL AND numnode(plainto_tsquery('german', ${w})) > 0`;
}

/**
 * Words the index is built for, most common first: every word of the tenant's dictionary of
 * name words (search_words), the sizes and grades of narrow queries ("m10x40", "a2") too, up to
 * MAX_INDEXED_WORDS. A rare word's entry is small (gaps) and cheap to build: a common one costs
 * what counting it once does.
 */
export async function dictionaryWords(db: Database, tenantId: string): Promise<string[]> {
  const r = await db.select({ word: searchWords.word }).from(searchWords).where(eq(searchWords.tenantId, tenantId)).orderBy(desc(searchWords.ndoc), searchWords.word).limit(MAX_INDEXED_WORDS);
  return r.map(({ word }) => word);
}
const MAX_INDEXED_WORDS = 2000;

/** Drops the word index of every version before `version`. */
export async function dropWordIndexBefore(db: Database, tenantId: string, version: number): Promise<void> {
  for (const table of INDEX_TABLES) await db.execute(sql`DELETE FROM ${sql.identifier(table)} WHERE tenant_id = ${tenantId} AND catalog_version < ${version}`);
}
