import { and, desc, eq, lt, sql } from "drizzle-orm";
import { type FacetCounts, searchSummaries, searchWords, type SummaryRequest } from "../../schema/search.ts";
import { tenants } from "../../schema/tenants.ts";
import type { FilterNode } from "../../schema/query-descriptor.ts";
import type { Database } from "../db/client.ts";
import { sha256Hex } from "../lib/credentials.ts";
import { fuzzyMatch, textMatch, type TextMatch } from "./match.ts";
import { cleanQuery } from "./normalize.ts";
import type { SearchRequest } from "./query.ts";
import { evaluate } from "./statement.ts";

/** Ranked ids a summary keeps: the first 1,000 results (the largest page) need no ranking. */
export const SUMMARY_TOP = 1000;
/** A query that took this long to count is worth remembering for this catalog version. */
export const SLOW_QUERY_MS = 30;
/** Facets every summary carries, whatever the first request asked for. */
const DEFAULT_FACETS = ["brand", "category"];

export interface Summary {
  key: string;
  total: number;
  facets: FacetCounts;
  top: [string, number][];
}

export const summaryKey = (r: SummaryRequest) => sha256Hex(JSON.stringify([r.q, r.filter ?? null, r.fuzzy]));

/** The summary stored under `key` (summaryKey) at `version`, if any. */
export async function readSummary(db: Database, tenantId: string, version: number, key: string): Promise<Summary | undefined> {
  const [row] = await db
    .select({ total: searchSummaries.total, facets: searchSummaries.facets, top: searchSummaries.top })
    .from(searchSummaries)
    .where(and(eq(searchSummaries.tenantId, tenantId), eq(searchSummaries.catalogVersion, version), eq(searchSummaries.queryKey, key)));
  return row && { key, ...row };
}

/** The tenant's catalog version and, at that version, the summary of `request` if there is one. */
export interface SearchStart {
  version: number | undefined;
  /** Looked up for this key only (the request as typed, not its near spellings). */
  prefetched?: { key: string; summary: Summary | undefined };
}

/**
 * What a summary of `req` is keyed by: results depend on the lower-case query only (see
 * textMatch), so summaries are shared across letter case.
 */
export const summaryRequest = (req: Pick<SearchRequest, "q" | "filter">, fuzzy: boolean): SummaryRequest => ({ q: cleanQuery(req.q).toLowerCase(), ...(req.filter && { filter: req.filter }), fuzzy });

/**
 * What every search starts with, in one round trip: the catalog version (it moves when a sync
 * commits; the key of every search cache) and, at that version, the summary of the request as
 * typed (not its near spellings): every search needs the first, and most need the second next.
 */
export async function startSearch(db: Database, tenantId: string, req: Pick<SearchRequest, "q" | "filter">): Promise<SearchStart> {
  const key = await summaryKey(summaryRequest(req, false));
  const [row] = await db
    .select({ version: tenants.catalogVersion, total: searchSummaries.total, facets: searchSummaries.facets, top: searchSummaries.top })
    .from(tenants)
    .leftJoin(searchSummaries, and(eq(searchSummaries.tenantId, tenants.tenantId), eq(searchSummaries.catalogVersion, tenants.catalogVersion), eq(searchSummaries.queryKey, key)))
    .where(eq(tenants.tenantId, tenantId));
  if (!row) return { version: undefined };
  const summary = row.total === null ? undefined : { key, total: row.total, facets: row.facets!, top: row.top! };
  return { version: row.version, prefetched: { key, summary } };
}

/** Counts a use, so the hottest summaries are rebuilt first when the catalog version moves. */
export async function countSummaryHit(db: Database, tenantId: string, version: number, key: string): Promise<void> {
  await db
    .update(searchSummaries)
    .set({ hits: sql`${searchSummaries.hits} + 1` })
    .where(and(eq(searchSummaries.tenantId, tenantId), eq(searchSummaries.catalogVersion, version), eq(searchSummaries.queryKey, key)));
}

/** Summaries being computed in this isolate: a burst of one slow query computes it once. */
const computing = new Set<string>();

/** Counts, facets (the defaults plus `facets`) and the top ranking of one query, stored for `version`. */
export async function storeSummary(db: Database, tenantId: string, version: number, request: SummaryRequest, match: TextMatch | undefined, facets: readonly string[]): Promise<void> {
  const key = await summaryKey(request);
  const id = `${tenantId}\u0000${version}\u0000${key}\u0000${[...facets].sort().join(",")}`;
  if (computing.has(id)) return;
  computing.add(id);
  try {
    await computeSummary(db, tenantId, version, key, request, match, facets);
  } finally {
    computing.delete(id);
  }
}

async function computeSummary(db: Database, tenantId: string, version: number, queryKey: string, request: SummaryRequest, match: TextMatch | undefined, facets: readonly string[]): Promise<void> {
  const started = performance.now();
  const wanted = [...new Set([...DEFAULT_FACETS, ...facets])];
  const filter = request.filter as FilterNode | undefined;
  const r = await evaluate(db, { tenantId, match, filter }, { sort: "relevance", after: undefined, limit: SUMMARY_TOP }, { count: true, facets: wanted, idsOnly: true });
  const row = {
    tenantId, catalogVersion: version, queryKey, request, total: r.total ?? 0, facets: r.facets,
    top: r.items.map((i): [string, number] => [i.articleId, i.score]), computedMs: Math.round(performance.now() - started),
  };
  await db
    .insert(searchSummaries)
    .values(row)
    .onConflictDoUpdate({ target: [searchSummaries.tenantId, searchSummaries.catalogVersion, searchSummaries.queryKey], set: { total: row.total, facets: row.facets, top: row.top, computedMs: row.computedMs } });
}

/**
 * After a sync moved the catalog from `from` to `to`: rebuilds the summaries that were used at
 * `from` (hottest first), then those of the most common name words, within a time budget, and
 * drops those of older versions. Runs in the background of the sync (the version is already visible; until a summary is rebuilt its query
 * is answered the slow way, never from old counts).
 */
export async function warmSummaries(db: Database, tenantId: string, from: number, to: number, budgetMs: number, limit = 100, seedWords = 30): Promise<{ rebuilt: number; dropped: number }> {
  const started = performance.now();
  const hot: { request: SummaryRequest; facets: FacetCounts }[] = await db
    .select({ request: searchSummaries.request, facets: searchSummaries.facets })
    .from(searchSummaries)
    .where(and(eq(searchSummaries.tenantId, tenantId), eq(searchSummaries.catalogVersion, from)))
    .orderBy(desc(searchSummaries.hits), desc(searchSummaries.computedMs))
    .limit(limit);
  // Then the catalog's most common name words: the broad single-word queries a storefront
  // gets first (and the slowest to count), even before anyone asked them at this version.
  const words = await db.select({ word: searchWords.word }).from(searchWords).where(and(eq(searchWords.tenantId, tenantId), eq(searchWords.correctable, true))).orderBy(desc(searchWords.ndoc), searchWords.word).limit(seedWords);
  const known = new Set(await Promise.all(hot.map((h) => summaryKey(h.request))));
  for (const { word } of words) {
    const request: SummaryRequest = { q: word, fuzzy: false };
    if (!known.has(await summaryKey(request))) hot.push({ request, facets: {} });
  }
  let rebuilt = 0;
  for (const { request, facets } of hot) {
    if (performance.now() - started > budgetMs) break;
    const match = request.fuzzy ? await fuzzyMatch(db, tenantId, request.q) : textMatch(tenantId, request.q);
    if (request.fuzzy && !match) continue;
    await storeSummary(db, tenantId, to, request, match, Object.keys(facets));
    rebuilt++;
  }
  const gone = await db.delete(searchSummaries).where(and(eq(searchSummaries.tenantId, tenantId), lt(searchSummaries.catalogVersion, to))).returning({ key: searchSummaries.queryKey });
  return { rebuilt, dropped: gone.length };
}
