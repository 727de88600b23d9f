import { and, desc, eq, gte, isNull, lt, sql } from "drizzle-orm";
import { type FacetCounts, searchSummaries, searchWords, type SummaryRequest } from "../../schema/search.ts";
import { categories } from "../../schema/catalog.ts";
import { tenants } from "../../schema/tenants.ts";
import type { FilterNode } from "../../schema/query-descriptor.ts";
import type { Database } from "../db/client.ts";
import { sha256Hex } from "../lib/credentials.ts";
import { textMatch } from "./match.ts";
import { cleanQuery } from "./normalize.ts";
import type { SearchRequest } from "./query.ts";
import { rollable, rollSummary, runChanges, type StoredSummary } from "./roll.ts";
import { evaluate, SUMMARY_FACET_VALUES } from "./statement.ts";
import { buildWordIndex, dictionaryWords, dropWordIndexBefore, type IndexBuild } from "./index-build.ts";
import { tenantConfigSchema } from "../../schema/tenant-config.ts";

/** Ranked ids a summary keeps: the first 1,000 results (the largest page) need no ranking. */
export const SUMMARY_TOP = 1000;
/** A query that took this long to count is worth remembering for this catalog version. */
export const SLOW_QUERY_MS = 30;
/** Facets every summary carries, whatever the first request asked for. */
const DEFAULT_FACETS = ["brand", "category"];
/**
 * Name words in at least this many articles get a summary at every catalog version, asked or
 * not: a broad word costs 0.3-2 s to count at 1.5M articles, one of fewer matches is counted
 * within a search's budget anyway. At most SEED_WORDS of them, most common first.
 */
export const SEED_MIN_DOCS = 1000;
export const SEED_WORDS = 200;
/** Category pages (no text, one category: the storefront's navigation) summarized at every version. */
export const SEED_CATEGORIES = 500;
/** Summaries of the version before carried over to the next, most used first. */
const CARRIED = 2000;
/**
 * A summary is rolled forward only if computing it took at least this long: rolling one costs
 * about 110 ms at 1.5M articles and 10k changes whatever the query (a few statements over the
 * changed rows), so a category page (~40 ms to count) is cheaper computed again, a broad word
 * (0.3-2 s) is not (`npm run bench -- roll`, 375 summaries: all rolled 42.3 s, computed again
 * 39.3 s; 80 rolled and 295 computed again by this rule 18.3 s).
 */
export const ROLL_MIN_COMPUTED_MS = 150;

/** The filter of a category page, as the storefront sends it (the summary's key depends on it). */
export const categoryPageFilter = (categoryId: string) => ({ field: "categoryId", op: "EQ", value: categoryId });

export interface Summary {
  key: string;
  total: number;
  facets: FacetCounts;
  top: [string, number][];
}

/** JSON with every object's keys sorted: a filter read back from jsonb has its keys reordered. */
const canonical = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(canonical).join(",")}]` : v !== null && typeof v === "object" ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}` : JSON.stringify(v);

/** The key of a summary: the same for a request as typed and as stored (and read back) in `request`. */
export const summaryKey = (r: SummaryRequest) =>
  // The third element was a near-spelling flag, false for every summary since a misspelt query is
  // answered as its corrected query: kept so that summaries stored before are keyed as they were.
  sha256Hex(canonical([r.q, r.filter ?? null, false]));

/** The summary stored under `key` (summaryKey) at `version`, if any. */
export async function readSummary(db: Pick<Database, "select">, tenantId: string, version: number, key: string): Promise<Summary | undefined> {
  const [row] = await db
    .select({ total: searchSummaries.total, facets: searchSummaries.facets, top: searchSummaries.top })
    .from(searchSummaries)
    .where(and(eq(searchSummaries.tenantId, tenantId), eq(searchSummaries.catalogVersion, version), eq(searchSummaries.queryKey, key)));
  return row && { key, ...row };
}

/** The tenant's catalog version and, at that version, the summary of `request` if there is one. */
export interface SearchStart {
  version: number | undefined;
  /** Looked up for this key only (the request as typed, not its correction). */
  prefetched?: { key: string; summary: Summary | undefined };
}

/**
 * What a summary of `req` is keyed by: results depend on the lower-case query only (see
 * textMatch), so summaries are shared across letter case.
 */
export const summaryRequest = (req: Pick<SearchRequest, "q" | "filter">): SummaryRequest => ({ q: cleanQuery(req.q).toLowerCase(), ...(req.filter && { filter: req.filter }) });

/**
 * What every search starts with, in one round trip: the catalog version (it moves when a sync
 * commits; the key of every search cache) and, at that version, the summary of the request as
 * typed (not its correction): every search needs the first, and most need the second next.
 */
export async function startSearch(db: Database, tenantId: string, req: Pick<SearchRequest, "q" | "filter">): Promise<SearchStart> {
  const key = await summaryKey(summaryRequest(req));
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
export async function storeSummary(db: Database, tenantId: string, version: number, request: SummaryRequest, facets: readonly string[]): Promise<void> {
  const key = await summaryKey(request);
  const id = `${tenantId}\u0000${version}\u0000${key}\u0000${[...facets].sort().join(",")}`;
  if (computing.has(id)) return;
  computing.add(id);
  try {
    await computeSummary(db, tenantId, version, key, request, facets);
  } finally {
    computing.delete(id);
  }
}

async function computeSummary(db: Database, tenantId: string, version: number, queryKey: string, request: SummaryRequest, facets: readonly string[]): Promise<void> {
  const started = performance.now();
  const wanted = [...new Set([...DEFAULT_FACETS, ...facets])];
  const filter = request.filter as FilterNode | undefined;
  const r = await evaluate(db, { tenantId, match: textMatch(tenantId, request.q), filter }, { sort: "relevance", after: undefined, limit: SUMMARY_TOP }, { count: true, facets: wanted, idsOnly: true, facetValues: SUMMARY_FACET_VALUES });
  const row = {
    tenantId, catalogVersion: version, queryKey, request, total: r.total ?? 0, facets: r.facets,
    top: r.items.map((i): [string, number] => [i.articleId, i.score]), computedMs: Math.round(performance.now() - started),
  };
  await db
    .insert(searchSummaries)
    .values(row)
    // created_at is when it was computed: a summary computed again while a sync writes is not
    // of the catalog the version names, and must not be rolled forward (roll.ts).
    .onConflictDoUpdate({ target: [searchSummaries.tenantId, searchSummaries.catalogVersion, searchSummaries.queryKey], set: { total: row.total, facets: row.facets, top: row.top, computedMs: row.computedMs, createdAt: sql`now()` } });
}

export interface WarmOptions {
  from: number;
  to: number;
  /** Time the rebuild may take (rolling forward is not counted against it: it is cheap). */
  budgetMs: number;
  /** The sync run that moved the catalog: its changes roll summaries forward where they can. */
  runId?: string;
  /** Summaries of `from` carried over, hottest first (default CARRIED). */
  limit?: number;
  /** Common name words summarized even if nobody asked them yet: at most this many (default SEED_WORDS)... */
  seedWords?: number;
  /** ...of those in at least this many articles (default SEED_MIN_DOCS). */
  seedMinDocs?: number;
  /** Category pages summarized even if nobody asked them yet, at most this many (default SEED_CATEGORIES). */
  seedCategories?: number;
  /** Summaries that took less than this to compute are computed again, not rolled (default ROLL_MIN_COMPUTED_MS). */
  rollMinMs?: number;
}

/**
 * After a sync moved the catalog from `from` to `to`: carries the summaries of `from` over to
 * `to` (most used first), then adds those of the common name words and of the category pages
 * (the storefront's broadest first queries and its navigation, summarized before anyone asks
 * them at this version), and drops those of older versions. A summary is rolled forward with
 * the run's changes where it can be and where that is cheaper (roll.ts: cost of the change, not
 * of the catalog), in one snapshot so no later write slips in; the others are computed again
 * within the time budget. Runs in the background of the sync (the
 * version is already visible; until a summary is there its query is answered the slow way,
 * never from old counts).
 */
export async function warmSummaries(db: Database, tenantId: string, opts: WarmOptions): Promise<{ rolled: number; rebuilt: number; dropped: number; indexed: IndexBuild }> {
  const { from, to } = opts;
  // Without their rankings (up to 1,000 ids each, ~40 KB): 2,000 of them would be most of an
  // isolate's memory. A summary being rolled reads its own (rollForward).
  const hot: HotSummary[] = await db
    .select({ queryKey: searchSummaries.queryKey, request: searchSummaries.request, total: searchSummaries.total, facets: searchSummaries.facets, computedMs: searchSummaries.computedMs, createdAt: searchSummaries.createdAt })
    .from(searchSummaries)
    .where(and(eq(searchSummaries.tenantId, tenantId), eq(searchSummaries.catalogVersion, from)))
    .orderBy(desc(searchSummaries.hits), desc(searchSummaries.computedMs))
    .limit(opts.limit ?? CARRIED);
  const indexed = await buildWordIndex(db, tenantId, to, await dictionaryWords(db, tenantId), await indexedFacets(db, tenantId, hot));
  const worthRolling = hot.filter((h) => h.computedMs >= (opts.rollMinMs ?? ROLL_MIN_COMPUTED_MS));
  const rolled = opts.runId ? await rollForward(db, tenantId, worthRolling, opts.runId, from, to) : new Set<string>();
  const pending: { request: SummaryRequest; facets: FacetCounts }[] = hot.filter((h) => !rolled.has(h.queryKey));
  const known = new Set(hot.map((h) => h.queryKey));
  for (const request of await seedRequests(db, tenantId, opts)) {
    if (!known.has(await summaryKey(request))) pending.push({ request, facets: {} });
  }
  let rebuilt = 0;
  const rebuildStarted = performance.now();
  for (const { request, facets } of pending) {
    if (performance.now() - rebuildStarted >= opts.budgetMs) break;
    await storeSummary(db, tenantId, to, request, Object.keys(facets));
    rebuilt++;
  }
  if (opts.runId) await forgetChanges(db, tenantId);
  const gone = await db.delete(searchSummaries).where(and(eq(searchSummaries.tenantId, tenantId), lt(searchSummaries.catalogVersion, to))).returning({ key: searchSummaries.queryKey });
  await dropWordIndexBefore(db, tenantId, to);
  return { rolled: rolled.size, rebuilt, dropped: gone.length, indexed };
}

/** A summary of the version before, as the warm-up lists them: all but its ranking. */
type HotSummary = Omit<StoredSummary, "top">;

/** The common name words, most common first (sizes and numbers are dictionary words too, but never a first query). */
async function seedWords(db: Database, tenantId: string, opts: WarmOptions): Promise<string[]> {
  const words = await db
    .select({ word: searchWords.word })
    .from(searchWords)
    .where(and(eq(searchWords.tenantId, tenantId), eq(searchWords.correctable, true), gte(searchWords.ndoc, opts.seedMinDocs ?? SEED_MIN_DOCS)))
    .orderBy(desc(searchWords.ndoc), searchWords.word)
    .limit(opts.seedWords ?? SEED_WORDS);
  return words.map(({ word }) => word);
}

/**
 * Facets the word index keeps columns of: brand, category, the attributes the tenant chose
 * (config `search.facetAttributes`) and those the queries carried over asked for.
 */
async function indexedFacets(db: Database, tenantId: string, hot: readonly HotSummary[]): Promise<string[]> {
  const [row] = await db.select({ config: tenants.config }).from(tenants).where(eq(tenants.tenantId, tenantId));
  const config = tenantConfigSchema.safeParse(row?.config ?? {});
  const chosen = config.success ? config.data.search.facetAttributes.map((k) => `attr:${k}`) : [];
  const asked = hot.flatMap((h) => Object.keys(h.facets)).filter((f) => f.startsWith("attr:"));
  return [...new Set([...DEFAULT_FACETS, ...chosen, ...asked])].slice(0, MAX_INDEXED_FACETS);
}
/** Columns per version at most: each is 1.5-3 MB at 1.5M articles. */
const MAX_INDEXED_FACETS = 18;

/** The summaries every version gets: the common name words and the live category pages, in that order. */
async function seedRequests(db: Database, tenantId: string, opts: WarmOptions): Promise<SummaryRequest[]> {
  const words = await seedWords(db, tenantId, opts);
  const pages = await db
    .select({ id: categories.categoryId })
    .from(categories)
    .where(and(eq(categories.tenantId, tenantId), isNull(categories.deletedAt)))
    .orderBy(categories.path)
    .limit(opts.seedCategories ?? SEED_CATEGORIES);
  return [...words.map((word): SummaryRequest => ({ q: word })), ...pages.map(({ id }): SummaryRequest => ({ q: "", filter: categoryPageFilter(id) }))];
}

/**
 * Rolls the summaries of `hot` that can be rolled over to `to`, in one repeatable-read snapshot
 * (the checks that no other run wrote and every read of the articles see the same catalog);
 * returns the keys of those now at `to`. A summary someone already stored at `to` is kept.
 */
async function rollForward(db: Database, tenantId: string, hot: HotSummary[], runId: string, from: number, to: number): Promise<Set<string>> {
  return db.transaction(
    async (tx) => {
      const run = await runChanges(tx, tenantId, runId, to);
      if (!run) return new Set<string>();
      const done = new Set<string>();
      for (const h of hot.filter((x) => rollable(x, run))) {
        const stored = await readSummary(tx, tenantId, from, h.queryKey);
        if (!stored) continue;
        const s: StoredSummary = { ...h, top: stored.top };
        const rolled = await rollSummary(tx, tenantId, s, run, SUMMARY_TOP);
        await tx
          .insert(searchSummaries)
          .values({ tenantId, catalogVersion: to, queryKey: s.queryKey, request: s.request, ...rolled, computedMs: s.computedMs })
          .onConflictDoNothing();
        done.add(s.queryKey);
      }
      return done;
    },
    { isolationLevel: "repeatable read" },
  );
}

/** The changes of finished runs (rolled, or not rollable any more); a running run keeps its own. */
async function forgetChanges(db: Database, tenantId: string): Promise<void> {
  await db.execute(sql`DELETE FROM catalog_changes c USING sync_runs r
    WHERE c.tenant_id = ${tenantId} AND r.tenant_id = c.tenant_id AND r.run_id = c.run_id AND r.status <> 'running'`);
}
