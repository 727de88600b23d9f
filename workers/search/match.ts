import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { isSpelledOutStopWord, likeEscape, looksLikeNumber, normalize, partOfWords, queryWords, substringTerms } from "./normalize.ts";

/** How a query selects articles (`where`) and orders them (`score`, higher first). */
export interface TextMatch {
  where: SQL;
  score: SQL;
}

/** At most this many query words are expanded to the name words containing them. */
const EXPANDED_WORDS = 5;

/**
 * The lexemes (weight A: the name) of every dictionary word that contains the spelled-out
 * query word `n`, or its stem, as one OR query; NULL when no name word contains it (or `n` is a
 * stop word: it has no stem). The dictionary is small (`search_words`), so this is a quick
 * lookup, and the article match it feeds stays a full-text index scan. A word that parses into
 * several lexemes ("sw-m8") is left out: its parts are dictionary words of their own.
 */
function nameWordsContaining(tenantId: string, n: string): SQL {
  // Terms are [a-z0-9]+ (partOfWords), and so are their stems: safe inside a LIKE pattern.
  // A lexeme is quoted for tsquery input, backslash (chr 92) and quote escaped.
  return sql`(SELECT string_agg('''' || replace(replace(l.ls[1], chr(92), chr(92) || chr(92)), '''', '''''') || ''':A', ' | ')::tsquery
    FROM search_words w CROSS JOIN LATERAL (SELECT tsvector_to_array(to_tsvector('german', w.word)) AS ls) l
    WHERE w.tenant_id = ${tenantId} AND cardinality(l.ls) = 1
      AND w.word_norm LIKE ('%' || (ts_lexize('german_stem', ${n}))[1] || '%'))`;
}

/**
 * One query word as a tsquery: its stemmed lexemes as typed, OR any name word containing it
 * (nameWordsContaining). A stop word ("für") stays an empty query, as plainto_tsquery leaves it.
 * The word index (word-index.ts) stores each common word's matches of exactly this query.
 */
export function expandedWord(tenantId: string, w: string): SQL {
  return sql`(SELECT CASE WHEN numnode(t) = 0 THEN t ELSE coalesce(t || ${nameWordsContaining(tenantId, normalize(w))}, t) END FROM plainto_tsquery('german', ${w}) t)`;
}

/** How documents are ranked for one query word: weights D, C, B, A (description ... name). */
export const wordRank = (w: string): SQL => sql`ts_rank('{0.05, 0.2, 0.5, 1.0}', a.search, plainto_tsquery('german', ${w}))::float8`;

/** Whether the stem of (spelled-out) term `t` is inside the article's name. */
export const stemInName = (t: string): SQL => sql`a.name_norm LIKE ('%' || coalesce((ts_lexize('german_stem', ${t}))[1], ${t}) || '%')`;

/**
 * The full-text match of `q` (false when it has no words): every word matches as typed
 * (stemmed, anywhere in the document) or, for words that may be part of a longer word
 * (partOfWords), as part of a word of the name:
 * "edelstahl" finds "Edelstahlschraube", "Schrauben" finds "Sechskantschraube", "M8" finds
 * "M8x40". Computed once per statement (a scalar subquery), so Postgres matches it through the
 * GIN index on `search` like any other full-text query. A query that looks like a number
 * ("SW-M8") is not expanded: the article-number prefix finds its longer forms, and expanding
 * "m8" to every M8 size would cost that query a large OR for no other hit.
 */
function documentMatch(tenantId: string, q: string, expand: boolean): SQL {
  const expanded: SQL[] = [];
  const plain: string[] = [];
  for (const w of queryWords(q)) {
    const n = normalize(w);
    if (isSpelledOutStopWord(n)) continue;
    if (expand && expanded.length < EXPANDED_WORDS && partOfWords(n)) expanded.push(expandedWord(tenantId, w));
    else plain.push(w);
  }
  if (plain.length > 0) expanded.push(sql`plainto_tsquery('german', ${plain.join(" ")})`);
  return expanded.length > 0 ? sql`a.search @@ (SELECT ${sql.join(expanded, sql` && `)})` : sql`false`;
}

/**
 * The query typed as a whole is an article, EAN or manufacturer number. Case never matters, so
 * a query's results depend on its lower-case form only (summaries are keyed by it).
 */
export const exactNumber = (q: string): SQL =>
  sql`(lower(a.article_number) = ${normalize(q)} OR a.ean = ${q} OR lower(a.manufacturer_number) = ${q.toLowerCase()})`;

/**
 * The words a query is ranked by, each on its own: its words as typed but the spelled-out stop
 * words, at most MAX_RANKED_WORDS (a 200-character query has ~40 words).
 */
export const rankedWords = (q: string): string[] => queryWords(q).filter((w) => !isSpelledOutStopWord(normalize(w))).slice(0, MAX_RANKED_WORDS);
const MAX_RANKED_WORDS = 10;

/**
 * How a text query matches and scores (higher first), German B2B relevance:
 * exact article / EAN / manufacturer number 100, article-number prefix 50, then the full-text
 * rank of each query word (stemmed, weighted name > brand/numbers > attributes > description)
 * x10, summed: a sum of per-word ranks, unlike one rank of all words, can be kept per word and
 * added up for any query of common words (word-index.ts) without reading the articles; plus 3 when the
 * stem of every word is part of the name (compound words: "edelstahl" in "Edelstahlschraube",
 * "Schrauben" in "Sechskantschraube"): below a whole-word name match (about 6), above a match
 * in attributes or description only.
 */
export function textMatch(tenantId: string, q: string): TextMatch | undefined {
  if (!q) return undefined;
  // Each branch must match an index of its own so the OR stays a BitmapOr, never a table scan:
  // the GIN index on `search`, lower(article_number) (prefix index), ean, lower(manufacturer_number).
  const exact = exactNumber(q);
  const prefix = looksLikeNumber(q) ? sql`lower(a.article_number) LIKE ${`${likeEscape(q.toLowerCase())}%`}` : sql`false`;
  // Scoring only (checked on the matched rows): the stem of every word is inside the name.
  const parts = substringTerms(q).map(stemInName);
  const inName = parts.length > 0 ? sql`(${sql.join(parts, sql` AND `)})` : sql`false`;
  const ranks = rankedWords(q).map((w) => sql` + ${wordRank(w)} * 10`);
  return {
    where: sql`(${documentMatch(tenantId, q, !looksLikeNumber(q))} OR ${exact} OR ${prefix})`,
    score: sql`((CASE WHEN ${exact} THEN 100 ELSE 0 END) + (CASE WHEN ${prefix} THEN 50 ELSE 0 END)${sql.join(ranks, sql``)} + (CASE WHEN ${inName} THEN 3 ELSE 0 END))`,
  };
}

/** A (spelled-out) word that may be misspelt: letters only, 4 or more (sizes, numbers, "A2" never are). */
const CORRECTABLE = /^[a-z]{4,}$/;
/** At most this many words of a query are corrected; the rest must match as typed. */
const CORRECTED_WORDS = 5;

/**
 * The query with every misspelt word replaced by its nearest name word, for when nothing
 * matched as typed ("Sehskantschraube M8x40" -> "Sechskantschraube M8x40"); undefined when a
 * word has no name word near enough, or every word is already spelt as a name word is.
 *
 * Each word of letters (CORRECTABLE; up to CORRECTED_WORDS of them, the others stay as typed) is
 * looked up in the tenant's dictionary of name words (`search_words`, a few hundred rows) by
 * trigram word similarity: the most similar part first, then the most similar whole word
 * ("shraube" is "schraube", not one of a dozen "...schraube" compounds that contain it just as
 * well), then the most common. The corrected query is then an ordinary search, so it ranks as
 * one (whole words above parts of compounds: "schraube" still finds "Holzschraube", lower) and a
 * common word's correction is answered from the summary the sync keeps of that word.
 */
export async function correctQuery(db: Database, tenantId: string, q: string): Promise<string | undefined> {
  const typed = queryWords(q).map((w) => ({ w, n: normalize(w) }));
  const terms = [...new Set(typed.filter(({ n }) => CORRECTABLE.test(n)).map(({ n }) => n))].slice(0, CORRECTED_WORDS);
  if (terms.length === 0) return undefined;
  const found = await db.execute<{ term: string; word: string }>(sql`
    SELECT t.term, c.word
    FROM unnest(ARRAY[${sql.join(terms.map((t) => sql`${t}`), sql`, `)}]::text[]) AS t(term)
    CROSS JOIN LATERAL (
      SELECT w.word FROM search_words w
      WHERE w.tenant_id = ${tenantId} AND w.correctable AND t.term <% w.word_norm
      ORDER BY word_similarity(t.term, w.word_norm) DESC, similarity(t.term, w.word_norm) DESC, w.ndoc DESC, w.word
      LIMIT 1
    ) c`);
  const best = new Map(found.rows.map((r) => [r.term, r.word]));
  if (terms.some((t) => !best.has(t))) return undefined;
  if (terms.every((t) => normalize(best.get(t)!) === t)) return undefined;
  return typed.map(({ w, n }) => casedAs(w, best.get(n) ?? w)).join(" ");
}

/** `word` (the dictionary's lower case) capitalized when `typed` was: "Fusplatte" -> "Fußplatte". */
const casedAs = (typed: string, word: string) => (/^\p{Lu}/u.test(typed) ? word.charAt(0).toUpperCase() + word.slice(1) : word);
