import { env } from "cloudflare:workers";
import { and, desc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { articles, categories, searchSummaries, searchWords, tenants } from "../../schema/index.ts";
import { openDatabase } from "../../workers/db/client.ts";
import { search, type SearchContext, type SearchRequest, searchRequestSchema, type SearchResponse } from "../../workers/search/query.ts";
import { startSearch, storeSummary, warmSummaries } from "../../workers/search/summaries.ts";
import { createTenantWithKey } from "./helpers.ts";
import { loadFixture } from "./search-fixture.ts";

const handle = openDatabase(env);
const db = handle.db;
let tenantId: string;

const request = (r: Partial<SearchRequest>): SearchRequest => ({ q: "", facets: [], sort: "relevance", limit: 20, ...r });
/** Background work run at once and awaited (in production it runs after the response). */
function inline(version: number, extra: Partial<SearchContext> = {}): SearchContext & { settle(): Promise<void> } {
  const pending: Promise<void>[] = [];
  return { catalogVersion: version, background: (work) => void pending.push(work(db)), ...extra, settle: async () => void (await Promise.all(pending)) };
}
/** Every page of a search, in order, following the cursors. */
async function allPages(req: SearchRequest, ctx: SearchContext = {}): Promise<{ ids: string[]; first: SearchResponse }> {
  const ids: string[] = [];
  let first: SearchResponse | undefined;
  let cursor: string | null = null;
  do {
    const page: SearchResponse = await search(db, tenantId, { ...req, ...(cursor && { cursor }) }, ctx);
    first ??= page;
    ids.push(...page.items.map((i) => i.articleId));
    cursor = page.nextCursor;
  } while (cursor);
  return { ids, first: first! };
}
const summaryRows = (version: number) =>
  db.select().from(searchSummaries).where(and(eq(searchSummaries.tenantId, tenantId), eq(searchSummaries.catalogVersion, version)));

beforeAll(async () => {
  tenantId = (await createTenantWithKey()).tenantId;
  await loadFixture(db, tenantId);
});
afterAll(() => handle.pool.end());

describe("search summaries (counts, facets and ranking per catalog version)", () => {
  const cases: [string, Partial<SearchRequest>][] = [
    ["broad word with facets", { q: "schraube", facets: ["brand", "category", "attr:Material"], limit: 7 }],
    ["text and filter", { q: "Sechskantschraube", filter: { field: "attr:Gewinde", op: "EQ", value: "M8" }, facets: ["brand"], limit: 3 }],
    ["typo (answered as its correction)", { q: "shraube", limit: 5 }],
    ["sort by name", { q: "schraube", sort: "name", limit: 6 }],
  ];
  for (const [name, r] of cases) {
    it(`answers exactly as the database does: ${name}`, async () => {
      const req = request(r);
      const plain = await allPages(req);
      // Remember every query, however fast, then answer again from the stored summary.
      const writing = inline(1, { rememberAfterMs: 0 });
      await search(db, tenantId, req, writing);
      await writing.settle();
      expect((await summaryRows(1)).length).toBeGreaterThan(0);
      const reading = inline(1);
      const summarized = await allPages(req, reading);
      await reading.settle();
      expect(summarized.ids).toEqual(plain.ids);
      expect(summarized.first.total).toBe(plain.first.total);
      expect(summarized.first.facets).toEqual(plain.first.facets);
      expect(summarized.first.items).toEqual(plain.first.items);
      expect(summarized.first.fuzzy).toBe(plain.first.fuzzy);
      expect(new Set(summarized.ids).size).toBe(plain.first.total);
    });
  }

  it("reads the catalog version and the summary of the request as typed in one round trip", async () => {
    await db.update(tenants).set({ catalogVersion: 7 }).where(eq(tenants.tenantId, tenantId));
    await storeSummary(db, tenantId, 6, { q: "mutter" }, []);
    expect((await startSearch(db, tenantId, { q: " MUTTER " })).prefetched).toMatchObject({ summary: undefined });
    await storeSummary(db, tenantId, 7, { q: "mutter" }, ["brand"]);
    const start = await startSearch(db, tenantId, { q: " MUTTER " });
    expect(start.version).toBe(7);
    const [stored] = (await summaryRows(7)).filter((r) => r.request.q === "mutter");
    expect(start.prefetched?.summary).toEqual({ key: stored!.queryKey, total: stored!.total, facets: stored!.facets, top: stored!.top });
    // The search answers from it as from a summary it read itself.
    const req = request({ q: "Mutter", facets: ["brand"], limit: 3 });
    const fromStart = await search(db, tenantId, req, { catalogVersion: 7, prefetched: start.prefetched! });
    expect(fromStart).toEqual(await search(db, tenantId, req, inline(7)));
    expect(fromStart.total).toBe(stored!.total);
    expect(await startSearch(db, "no-such-tenant", { q: "mutter" })).toEqual({ version: undefined });
  });

  it("pages past the end of a summary's ranking through the database, every match once", async () => {
    const req = request({ q: "schraube", limit: 4 });
    const plain = await allPages(req);
    await storeSummary(db, tenantId, 2, { q: "schraube" }, []);
    // A ranking shorter than the match (as for broad queries with more than SUMMARY_TOP hits).
    const [row] = await summaryRows(2);
    await db.update(searchSummaries).set({ top: row!.top.slice(0, 6) }).where(and(eq(searchSummaries.tenantId, tenantId), eq(searchSummaries.catalogVersion, 2)));
    const summarized = await allPages(req, inline(2));
    expect(summarized.ids).toEqual(plain.ids);
    expect(plain.ids.length).toBeGreaterThan(10);
  });

  it("counts uses, and after a sync rebuilds the used summaries and the common words' for the new version, dropping the old", async () => {
    const req = request({ q: "edelstahl", facets: ["brand"] });
    const writing = inline(3, { rememberAfterMs: 0 });
    const before = await search(db, tenantId, req, writing);
    await writing.settle();
    const reading = inline(3);
    await search(db, tenantId, req, reading);
    await reading.settle();
    expect((await summaryRows(3)).find((s) => s.request.q === "edelstahl")?.hits).toBe(1);

    // A sync adds an article and moves the version: the old summary must not answer for it.
    await db.insert(articles).values({ tenantId, articleId: "NEW-EDELSTAHL", rowversion: 9999n, articleNumber: "NEW-1", name: "Edelstahl Winkel 90°", attributes: {} });
    const fresh = await search(db, tenantId, req, inline(4));
    expect(fresh.total).toBe(before.total + 1);

    const { rebuilt } = await warmSummaries(db, tenantId, { from: 3, to: 4, budgetMs: 30_000, seedMinDocs: 1 });
    expect(rebuilt).toBeGreaterThan(0);
    expect(await summaryRows(3)).toEqual([]);
    // The most common name word gets a summary too, though nobody asked it; sizes and grades
    // ("m8x40", "a2") are dictionary words as well, but never a storefront's first query.
    const common = await db.select({ word: searchWords.word, correctable: searchWords.correctable }).from(searchWords).where(eq(searchWords.tenantId, tenantId)).orderBy(desc(searchWords.ndoc), searchWords.word).limit(30);
    const firstWord = common.find((w) => w.correctable)!.word;
    expect((await summaryRows(4)).some((s) => s.request.q === firstWord && !s.request.filter)).toBe(true);
    expect((await summaryRows(4)).some((s) => common.some((w) => !w.correctable && w.word === s.request.q))).toBe(false);
    const warmed = (await summaryRows(4)).find((s) => s.request.q === "edelstahl");
    expect(warmed?.total).toBe(before.total + 1);
    expect(warmed?.facets.brand).toEqual(fresh.facets.brand);
    expect((await search(db, tenantId, req, inline(4))).items).toEqual(fresh.items);
  });

  it("seeds the words in at least seedMinDocs articles and every live category page, answered from their summaries as asked", async () => {
    const words = await db.select({ word: searchWords.word, ndoc: searchWords.ndoc }).from(searchWords).where(and(eq(searchWords.tenantId, tenantId), eq(searchWords.correctable, true)));
    const min = Math.max(2, ...words.map((w) => w.ndoc)) - 1;
    const common = words.filter((w) => w.ndoc >= min).map((w) => w.word).sort();
    expect(common.length).toBeGreaterThan(0);
    expect(common.length).toBeLessThan(words.length);
    await db.insert(categories).values([
      { tenantId, categoryId: "K1-02-1", name: "Zylinderschrauben", path: ["K1", "K1-02", "K1-02-1"], rowversion: 1n },
      { tenantId, categoryId: "K1-99-2", name: "Stäbe", path: ["K1", "K1-99", "K1-99-2"], rowversion: 2n },
      { tenantId, categoryId: "K9-GONE", name: "Alt", path: ["K9-GONE"], rowversion: 3n, deletedAt: new Date() },
    ]);
    await warmSummaries(db, tenantId, { from: 4, to: 5, budgetMs: 30_000, seedMinDocs: min, limit: 0 });
    const rows = await summaryRows(5);
    expect(rows.filter((r) => !r.request.filter).map((r) => r.request.q).sort()).toEqual(common);
    expect(rows.filter((r) => r.request.filter).map((r) => (r.request.filter as { value: string }).value).sort()).toEqual(["K1-02-1", "K1-99-2"]);
    // A category page as the storefront asks it (the filter parsed from the query string) finds
    // its seeded summary: it is counted as a use and answers what the database counts.
    const page = searchRequestSchema.parse({ filter: { field: "categoryId", op: "EQ", value: "K1-02-1" }, facets: ["brand"] });
    const seeded = await search(db, tenantId, page, inline(5));
    const plain = await search(db, tenantId, page);
    expect(seeded).toEqual(plain);
    expect(plain.total).toBeGreaterThan(0);
    const ctx = inline(5);
    await search(db, tenantId, page, ctx);
    await ctx.settle();
    expect((await summaryRows(5)).find((r) => (r.request.filter as { value?: string } | undefined)?.value === "K1-02-1")?.hits).toBeGreaterThan(0);
  });

  it("answers a misspelt query as its correction, from the correction's summary", async () => {
    await storeSummary(db, tenantId, 8, { q: "schraube" }, ["brand"]);
    const req = request({ q: "shraube", facets: ["brand"], limit: 5 });
    const ctx = inline(8);
    const typo = await search(db, tenantId, req, ctx);
    await ctx.settle();
    expect(typo).toMatchObject({ fuzzy: true, correctedQuery: "schraube" });
    const [summary] = await summaryRows(8);
    expect(summary).toMatchObject({ request: { q: "schraube" }, hits: 1 });
    // The same answer as asking the correction, on every page (a page's cursor stays corrected).
    const corrected = await search(db, tenantId, { ...req, q: "Schraube" });
    expect({ ...typo, nextCursor: null }).toEqual({ ...corrected, nextCursor: null, fuzzy: true, correctedQuery: "schraube" });
    const pages = await allPages(req, inline(8));
    expect(pages.ids).toEqual((await allPages({ ...req, q: "Schraube" })).ids);
    expect(pages.ids.length).toBeGreaterThan(req.limit);
    expect(pages.ids.length).toBe(summary!.total);
  });
});

