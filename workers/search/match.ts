import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { likeEscape, looksLikeNumber, normalize, substringTerms } from "./normalize.ts";

/** How a query selects articles (`where`) and orders them (`score`, higher first). */
export interface TextMatch {
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
export function textMatch(q: string): TextMatch | undefined {
  if (!q) return undefined;
  const qn = normalize(q);
  // Each branch must match an index of its own so the OR stays a BitmapOr, never a table scan:
  // lower(article_number) (prefix index), ean, lower(manufacturer_number). Case never matters,
  // so a query's results depend on its lower-case form only (summaries are keyed by it).
  const ql = q.toLowerCase();
  const exact = sql`(lower(a.article_number) = ${qn} OR a.ean = ${q} OR lower(a.manufacturer_number) = ${ql})`;
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

const words = (q: string) => [...new Set(normalize(q).split(/[^a-z0-9]+/).filter(Boolean))];
const isCorrectable = (t: string) => t.length >= 4 && !/\d/.test(t);
/** Query words worth correcting: letters, at least 4 of them (sizes and numbers never are). */
const correctable = (q: string) => words(q).filter(isCorrectable).slice(0, 5);
/** The other words (sizes, numbers, short words like "A2"): they must still match as typed. */
const keptAsTyped = (q: string) => words(q).filter((t) => !isCorrectable(t)).slice(0, 10);
/** Corrections kept per misspelt word (most similar first, then the most common). */
const CANDIDATES = 8;

/**
 * Near spellings when nothing matched as typed: each word is looked up in the tenant's
 * dictionary of name words (`search_words`, a few hundred rows) by trigram word similarity, and
 * the query becomes "every word matches one of its corrections, and every word that is not
 * corrected (sizes, numbers, short words) matches as typed" (full text, stemmed), so a typo
 * costs one small lookup plus an ordinary indexed search. Undefined when a word has no
 * correction: then nothing is near enough.
 */
export async function fuzzyMatch(db: Database, tenantId: string, q: string): Promise<TextMatch | undefined> {
  const terms = correctable(q);
  if (terms.length === 0) return undefined;
  const found = await db.execute<{ term: string; words: string[] }>(sql`
    SELECT t.term, array_agg(c.word ORDER BY c.rank) AS words
    FROM unnest(ARRAY[${sql.join(terms.map((t) => sql`${t}`), sql`, `)}]::text[]) AS t(term)
    CROSS JOIN LATERAL (
      SELECT w.word, row_number() OVER (ORDER BY word_similarity(t.term, w.word_norm) DESC, w.ndoc DESC, w.word) AS rank
      FROM search_words w WHERE w.tenant_id = ${tenantId} AND t.term <% w.word_norm
      ORDER BY rank LIMIT ${CANDIDATES}
    ) c
    GROUP BY t.term`);
  const byTerm = new Map(found.rows.map((r) => [r.term, r.words]));
  if (terms.some((t) => !byTerm.get(t)?.length)) return undefined;
  const perTerm = terms.map((t) => sql`(${sql.join(byTerm.get(t)!.map((w) => sql`plainto_tsquery('german', ${w})`), sql` || `)})`);
  // "Sehskantschraube M8x40" means Sechskantschraube in M8x40, not every Sechskantschraube.
  for (const t of keptAsTyped(q)) perTerm.push(sql`plainto_tsquery('german', ${t})`);
  const tsq = sql`(${sql.join(perTerm, sql` && `)})`;
  return { where: sql`(a.search @@ ${tsq})`, score: sql`(ts_rank('{0.05, 0.2, 0.5, 1.0}', a.search, ${tsq})::float8 * 10)` };
}
