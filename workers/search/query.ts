import { z } from "zod";
import { filterNodeSchema } from "../../schema/query-descriptor.ts";
import type { Database } from "../db/client.ts";
import { badRequest } from "../errors.ts";
import { correctQuery, textMatch } from "./match.ts";
import { cleanQuery } from "./normalize.ts";
import { answerFromIndex } from "./word-index.ts";
import { type After, evaluate, FACET_VALUES, itemsByIds, type SearchItem, type Selection, SORTS } from "./statement.ts";
import { countSummaryHit, readSummary, type SearchStart, SLOW_QUERY_MS, storeSummary, type Summary, summaryKey, summaryRequest } from "./summaries.ts";

export { SORTS, type SearchItem };
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

export interface SearchResponse {
  total: number;
  items: SearchItem[];
  facets: Record<string, { value: string; count: number }[]>;
  nextCursor: string | null;
  /** True when nothing matched as typed and these are the results of `correctedQuery` (typo tolerance). */
  fuzzy: boolean;
  /** The query these results are for when it is not the one typed: its misspelt words corrected. */
  correctedQuery: string | null;
}

export type AnswerSource = "summary" | "index" | "database";

/** What a search may use besides the database: both optional (tests and Connect run without). */
export interface SearchContext {
  /** The tenant's catalog version: summaries are read and written only when it is known. */
  catalogVersion?: number;
  /** Runs work after the response, with a database handle of its own. */
  background?: (work: (db: Database) => Promise<void>) => void;
  /** A query that took at least this long gets a summary (default SLOW_QUERY_MS). */
  rememberAfterMs?: number;
  /** Told what answered: a stored summary, the word index or the database. */
  answeredBy?: (source: AnswerSource) => void;
  /** The summary already read with the catalog version (startSearch), for the key it was read for. */
  prefetched?: SearchStart["prefetched"];
}

interface Cursor extends After {
  /** Set when the pages are those of the corrected query. */
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

/**
 * The page after `cursor` out of a summary's ranking, when the ranking reaches that far (it
 * holds the first SUMMARY_TOP results; a deeper page is ranked by the database).
 */
function pageFromSummary(s: Summary, cursor: Cursor | undefined, limit: number): { ranked: [string, number][]; more: boolean } | undefined {
  const start = cursor ? s.top.findIndex(([id]) => id === cursor.id) + 1 : 0;
  if (cursor && start === 0) return undefined;
  const ranked = s.top.slice(start, start + limit);
  const more = start + ranked.length < s.total;
  return ranked.length === limit || !more ? { ranked, more } : undefined;
}

/**
 * The request's query as typed, or its `corrected` form, answered from its summary or the
 * database. A corrected query is an ordinary one: it shares the summary of asking it as such.
 */
async function answer(db: Database, tenantId: string, req: SearchRequest, corrected: string | undefined, ctx: SearchContext): Promise<SearchResponse> {
  const cursor = req.cursor ? decodeCursor(req.cursor, req.sort) : undefined;
  const q = corrected ?? req.q;
  const selection: Selection = { tenantId, match: textMatch(tenantId, q), filter: req.filter };
  const sreq = summaryRequest({ q, filter: req.filter });
  const version = ctx.catalogVersion;
  const key = await summaryKey(sreq);
  const summary = version === undefined ? undefined : ctx.prefetched?.key === key ? ctx.prefetched.summary : await readSummary(db, tenantId, version, key);
  let total: number;
  let facets: SearchResponse["facets"];
  let rows: SearchItem[];
  let more: boolean;
  const summaryAnswers = summary && req.facets.every((f) => f in summary.facets);
  // Common words only, relevance order, no filter but one category: from the word index when built.
  const indexed =
    !summaryAnswers && version !== undefined && req.sort === "relevance" ? await answerFromIndex(db, tenantId, version, q, { facets: req.facets, limit: req.limit + 1, after: cursor, filter: req.filter }) : undefined;
  if (summaryAnswers) {
    ctx.answeredBy?.("summary");
    ctx.background?.((bg) => countSummaryHit(bg, tenantId, version!, summary.key));
    total = summary.total;
    facets = Object.fromEntries(req.facets.map((f) => [f, summary.facets[f]!.slice(0, FACET_VALUES)]));
    const fromSummary = req.sort === "relevance" ? pageFromSummary(summary, cursor, req.limit) : undefined;
    rows = fromSummary ? await itemsByIds(db, tenantId, fromSummary.ranked) : (await evaluate(db, selection, { sort: req.sort, after: cursor, limit: req.limit + 1 }, { count: false, facets: [] })).items;
    more = fromSummary ? fromSummary.more : rows.length > req.limit;
  } else if (indexed) {
    ctx.answeredBy?.("index");
    ({ total, facets } = indexed);
    rows = indexed.items;
    more = rows.length > req.limit;
  } else {
    ctx.answeredBy?.("database");
    const started = performance.now();
    const r = await evaluate(db, selection, { sort: req.sort, after: cursor, limit: req.limit + 1 }, { count: true, facets: req.facets });
    total = r.total ?? 0;
    facets = r.facets;
    rows = r.items;
    more = rows.length > req.limit;
    if (version !== undefined && performance.now() - started >= (ctx.rememberAfterMs ?? SLOW_QUERY_MS)) {
      const remembered = [...new Set([...req.facets, ...Object.keys(summary?.facets ?? {})])];
      ctx.background?.((bg) => storeSummary(bg, tenantId, version, sreq, remembered));
    }
  }
  const items = more ? rows.slice(0, req.limit) : rows;
  const last = items.at(-1);
  const k = req.sort === "relevance" ? last?.score : req.sort === "name" ? last?.name : last?.articleNumber;
  const nextCursor = more && last && k !== undefined ? encodeCursor({ k, id: last.articleId, ...(corrected !== undefined && { f: 1 as const }) }) : null;
  return { total, items, facets, nextCursor, fuzzy: corrected !== undefined, correctedQuery: corrected ?? null };
}

/** Runs a search for the tenant; with no hits for the words as typed, for its misspelt words corrected. */
export async function search(db: Database, tenantId: string, input: SearchRequest, ctx: SearchContext = {}): Promise<SearchResponse> {
  const q = cleanQuery(input.q);
  const req = { ...input, q };
  if (req.cursor && decodeCursor(req.cursor, req.sort).f) {
    const corrected = await correctQuery(db, tenantId, q);
    if (corrected) return answer(db, tenantId, req, corrected, ctx);
  }
  const exact = await answer(db, tenantId, req, undefined, ctx);
  if (exact.total > 0 || !q || req.cursor) return exact;
  const corrected = await correctQuery(db, tenantId, q);
  return corrected ? answer(db, tenantId, req, corrected, ctx) : exact;
}
