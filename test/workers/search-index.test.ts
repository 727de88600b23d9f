import { env } from "cloudflare:workers";
import { and, desc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FilterNode } from "../../schema/query-descriptor.ts";
import { articles, searchIndexBuilds, searchIndexColumns, searchIndexWords, tenants } from "../../schema/index.ts";
import { openDatabase } from "../../workers/db/client.ts";
import { buildWordIndex, dictionaryWords, gapsOf } from "../../workers/search/index-build.ts";
import { fromBase64, fromGaps } from "../../workers/search/index-format.ts";
import { IsolateCache } from "../../workers/search/isolate-cache.ts";
import { textMatch } from "../../workers/search/match.ts";
import { type AnswerSource, search, type SearchRequest } from "../../workers/search/query.ts";
import { type After, evaluate } from "../../workers/search/statement.ts";
import { warmSummaries } from "../../workers/search/summaries.ts";
import { answerFromIndex, type IndexAnswer } from "../../workers/search/word-index.ts";
import { createTenantWithKey } from "./helpers.ts";
import { loadFixture } from "./search-fixture.ts";

const handle = openDatabase(env);
const db = handle.db;
let tenantId: string;
let words: string[];
const FACETS = ["brand", "category", "attr:Material", "attr:Oberfläche"];

/** A small PRNG, so the generated catalog is the same every run. */
function prng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/**
 * Articles made of few words, so that many share a score (ties broken by id), words occur in
 * name, attributes and description (ranks of several weights), and some have no brand, no
 * category or several categories.
 */
async function loadGenerated(count: number): Promise<void> {
  const r = prng(7);
  const nouns = ["Zylinderschraube", "Sechskantschraube", "Sechskantmutter", "Unterlegscheibe", "Holzschraube"];
  const materials = ["Stahl", "Edelstahl", "Kupfer", "Aluminium"];
  const finishes = ["verzinkt", "blank", "schwarz", null];
  const rows = Array.from({ length: count }, (_, i) => {
    const noun = pick(r, nouns);
    const material = pick(r, materials);
    const finish = pick(r, finishes);
    const name = [noun, r() < 0.6 ? material : null, r() < 0.3 ? finish : null].filter(Boolean).join(" ");
    const categoryIds = r() < 0.1 ? [] : r() < 0.3 ? [pick(r, ["G-1", "G-2", "G-3"]), pick(r, ["G-4", "G-5"])] : [pick(r, ["G-1", "G-2", "G-3", "G-4"])];
    return {
      tenantId, articleId: `GEN-${String(i).padStart(5, "0")}`, rowversion: BigInt(10_000 + i), articleNumber: `GEN-${i}`, name,
      description: r() < 0.3 ? `Passend zu ${pick(r, nouns)} aus ${pick(r, materials)}` : "", brand: r() < 0.1 ? null : pick(r, ["Würth", "Fischer", "Bossard", "Hilti"]),
      ean: null, manufacturerNumber: i === 3 ? "zylinderschraube stahl" : i === 5 ? "Kupfer Aluminium" : null, categoryIds,
      attributes: { Material: material, ...(finish && { Oberfläche: finish }) },
    };
  });
  for (let i = 0; i < rows.length; i += 500) await db.insert(articles).values(rows.slice(i, i + 500));
}

/** The database's own answer (statement.ts), as the index must give it. */
async function fromDatabase(q: string, facets: readonly string[], limit: number, after?: After, filter?: FilterNode): Promise<IndexAnswer> {
  const r = await evaluate(db, { tenantId, match: textMatch(tenantId, q), filter }, { sort: "relevance", after, limit }, { count: true, facets });
  return { total: r.total!, items: r.items, facets: r.facets };
}

/** The pages of `q` from the index (every one, or the first `max`), following the last item as the cursor does. */
async function pagesFromIndex(version: number, q: string, limit: number, max = Infinity): Promise<IndexAnswer[]> {
  const pages: IndexAnswer[] = [];
  let after: After | undefined;
  while (pages.length < max) {
    const page = await answerFromIndex(db, tenantId, version, q, { facets: FACETS, limit, after });
    expect(page, q).toBeDefined();
    pages.push(page!);
    const last = page!.items.at(-1);
    if (!last || page!.items.length < limit) return pages;
    after = { k: last.score, id: last.articleId };
  }
  return pages;
}

beforeAll(async () => {
  tenantId = (await createTenantWithKey()).tenantId;
  await loadFixture(db, tenantId);
  await loadGenerated(1500);
  words = await dictionaryWords(db, tenantId);
  await buildWordIndex(db, tenantId, 1, words, FACETS);
}, 60_000);
afterAll(() => handle.pool.end());

describe("word index (common words counted, ranked and faceted in the Worker)", () => {
  const queries = [
    "Zylinderschraube", "stahl", "Edelstahl", "Zylinderschraube Stahl", "schraube edelstahl", "Sechskantmutter Kupfer verzinkt",
    "holzschraube schwarz", "schraube", "Kupfer Aluminium", "mutter", "Unterlegscheibe blank Stahl", "zylinderschraube stahl",
  ];
  for (const q of queries) {
    it(`gives what the database gives, every page: '${q}'`, async () => {
      for (const [limit, max] of [[1, 4], [40, Infinity], [1000, Infinity]] as const) {
        const pages = await pagesFromIndex(1, q, limit, max);
        let after: After | undefined;
        for (const page of pages) {
          expect(page).toEqual(await fromDatabase(q, FACETS, limit, after));
          const last = page.items.at(-1);
          after = last && { k: last.score, id: last.articleId };
        }
        const ids = pages.flatMap((p) => p.items.map((i) => i.articleId));
        expect(new Set(ids).size).toBe(max === Infinity ? pages[0]!.total : Math.min(max * limit, pages[0]!.total));
      }
    });
  }

  it("gives what the database gives within a category (any letter case), and for the facets asked only", async () => {
    for (const value of ["G-2", "g-4", "K1-01-1", "no-such-category"]) {
      const filter: FilterNode = { field: "categoryId", op: "EQ", value };
      for (const q of ["schraube", "Zylinderschraube Stahl", "stahl"]) {
        for (const facets of [["brand"], FACETS]) {
          const fromIndex = await answerFromIndex(db, tenantId, 1, q, { facets, limit: 8, after: undefined, filter });
          expect(fromIndex, `${q} in ${value}`).toEqual(await fromDatabase(q, facets, 8, undefined, filter));
        }
      }
    }
  });

  it("gives what the database gives for pairs of dictionary words (property)", async () => {
    const r = prng(11);
    const indexable = (await db.select({ word: searchIndexWords.word }).from(searchIndexWords).where(and(eq(searchIndexWords.tenantId, tenantId), eq(searchIndexWords.catalogVersion, 1))).orderBy(desc(searchIndexWords.matches))).map((w) => w.word);
    expect(indexable.length).toBeGreaterThan(50);
    let matched = 0;
    for (let i = 0; i < 40; i++) {
      // Every other pair has a common word in it, so that enough pairs match anything.
      const q = `${pick(r, indexable)} ${pick(r, i % 2 ? indexable.slice(0, 20) : indexable)}`;
      const fromIndex = await answerFromIndex(db, tenantId, 1, q, { facets: FACETS, limit: 21, after: undefined });
      expect(fromIndex, q).toEqual(await fromDatabase(q, FACETS, 21));
      if (fromIndex!.total > 0) matched++;
    }
    expect(matched).toBeGreaterThan(5);
  });

  it("gives what the database gives for narrow queries of sizes and grades, with and without a substring term", async () => {
    for (const q of ["Sechskantschraube M8x40 Edelstahl A2", "sechskantschraube m8x40", "M8x40 A2", "a2 m8", "a4 Edelstahl", "Edelstahl A2 a2", "Gewindestange M3x8 Edelstahl A2"]) {
      const fromIndex = await answerFromIndex(db, tenantId, 1, q, { facets: FACETS, limit: 50, after: undefined });
      expect(fromIndex, q).toEqual(await fromDatabase(q, FACETS, 50));
      expect(fromIndex!.total, q).toBeGreaterThan(0);
    }
  });

  it("holds a rare word's matches as gaps and a common word's as a bitmap, and answers them together as the database does", async () => {
    const forms = await db.execute<{ word: string; gaps: boolean }>(sql`SELECT word, gaps IS NOT NULL AS gaps FROM search_index_words WHERE tenant_id = ${tenantId} AND catalog_version = 1 ORDER BY matches, word`);
    const rare = forms.rows.filter((f) => f.gaps).map((f) => f.word);
    const common = forms.rows.filter((f) => !f.gaps).map((f) => f.word);
    expect(common).toEqual(expect.arrayContaining(["stahl", "zylinderschraube"]));
    expect(rare.length).toBeGreaterThan(20);
    for (const q of [`${rare.at(-1)} stahl`, `stahl ${rare.at(-1)}`, `${rare.at(-1)} ${rare.at(-2)}`, `${rare.at(-1)} ${common[0]} stahl`, "Zylinderschraube Kupfer"]) {
      for (const filter of [undefined, { field: "categoryId", op: "EQ", value: "G-1" } as FilterNode]) {
        const fromIndex = await answerFromIndex(db, tenantId, 1, q, { facets: FACETS, limit: 1000, after: undefined, filter });
        expect(fromIndex, q).toEqual(await fromDatabase(q, FACETS, 1000, undefined, filter));
      }
    }
  });

  it("reads gaps of any size back as the numbers they were made of", async () => {
    for (const ords of [[], [0], [3], [0, 1, 2, 130, 131, 20_000, 3_000_000, 300_000_000, 300_000_127]]) {
      const values = ords.length === 0 ? sql`(SELECT 1 AS ord WHERE false) v` : sql`(VALUES ${sql.join(ords.map((o) => sql`(${o}::int)`), sql`, `)}) v(ord)`;
      const r = await db.execute<{ b: string }>(sql`SELECT encode(${gapsOf(values)}, 'base64') AS b`);
      expect([...fromGaps(fromBase64(r.rows[0]!.b), ords.length)]).toEqual(ords);
    }
  });

  it("puts an article whose number is the query in, ranked as the database ranks it", async () => {
    const inMatch = await answerFromIndex(db, tenantId, 1, "Zylinderschraube Stahl", { facets: [], limit: 3, after: undefined });
    expect(inMatch!.items[0]!.articleId).toBe("GEN-00003");
    const onlyByNumber = await answerFromIndex(db, tenantId, 1, "kupfer aluminium", { facets: FACETS, limit: 2000, after: undefined });
    expect(onlyByNumber!.items.map((i) => i.articleId)).toContain("GEN-00005");
    expect(onlyByNumber).toEqual(await fromDatabase("kupfer aluminium", FACETS, 2000));
  });

  it("leaves to the database what it cannot answer", async () => {
    const ask = (q: string, facets: string[] = []) => answerFromIndex(db, tenantId, 1, q, { facets, limit: 5, after: undefined });
    expect(words).toEqual(expect.arrayContaining(["m8x40", "a2"]));
    expect(await ask("M8x40")).toBeUndefined(); // one word with a digit: an article-number prefix too
    expect(await ask("Zylinderschraube DIN")).toBeUndefined(); // a short word matches whole words only, not as the index holds them
    expect(await ask("Zylinderschraube 4,5x40")).toBeUndefined();
    expect(await ask("nichtimkatalog")).toBeUndefined(); // no entry
    expect(await ask("stahl", ["attr:Gewinde"])).toBeUndefined(); // no column
    expect(await answerFromIndex(db, tenantId, 2, "stahl", { facets: [], limit: 5, after: undefined })).toBeUndefined(); // version not built
    expect(await ask("a b c d e f")).toBeUndefined();
    for (const filter of [{ field: "brand", op: "EQ", value: "Würth" }, { field: "categoryId", op: "IN", values: ["G-1"] }, { field: "categoryId", op: "EQ", value: "Gr\u00fcn" }] as FilterNode[])
      expect(await answerFromIndex(db, tenantId, 1, "stahl", { facets: [], limit: 5, after: undefined, filter })).toBeUndefined();
    // An article the index does not number (written after the build) whose number is the query.
    await db.insert(articles).values({ tenantId, articleId: "GEN-NEW", rowversion: 99_999n, articleNumber: "GEN-NEW", name: "Neu", description: "", brand: null, ean: null, manufacturerNumber: "Stahl Kupfer", categoryIds: [], attributes: {} });
    expect(await ask("stahl kupfer")).toBeUndefined();
    await db.delete(articles).where(and(eq(articles.tenantId, tenantId), eq(articles.articleId, "GEN-NEW")));
  });

  it("is what search answers common words with, once the catalog version has one", async () => {
    const req: SearchRequest = { q: "Zylinderschraube Stahl", facets: ["brand", "attr:Material"], sort: "relevance", limit: 5 };
    const sources: AnswerSource[] = [];
    const indexed = await search(db, tenantId, req, { catalogVersion: 1, answeredBy: (s) => sources.push(s) });
    const plain = await search(db, tenantId, req, { answeredBy: (s) => sources.push(s) });
    expect(sources).toEqual(["index", "database"]);
    expect(indexed).toEqual(plain);
    // The next page through the cursor, from the index again.
    const next = await search(db, tenantId, { ...req, cursor: indexed.nextCursor! }, { catalogVersion: 1, answeredBy: (s) => sources.push(s) });
    expect(next).toEqual(await search(db, tenantId, { ...req, cursor: plain.nextCursor! }));
    expect(sources.at(-1)).toBe("index");
    // Within a category, from the index; another order, from the database.
    const within: SearchRequest = { ...req, filter: { field: "categoryId", op: "EQ", value: "G-1" } };
    expect(await search(db, tenantId, within, { catalogVersion: 1, answeredBy: (s) => sources.push(s) })).toEqual(await search(db, tenantId, within));
    expect(sources.at(-1)).toBe("index");
    await search(db, tenantId, { ...req, sort: "name" }, { catalogVersion: 1, answeredBy: (s) => sources.push(s) });
    expect(sources.at(-1)).toBe("database");
  });

  it("is built by the warm-up after a sync commit, with the tenant's facet attributes, and the version before is dropped", async () => {
    await db.update(tenants).set({ config: sql`jsonb_set(config, '{search}', '{"facetAttributes": ["Oberfläche"]}')` }).where(eq(tenants.tenantId, tenantId));
    const warmed = await warmSummaries(db, tenantId, { from: 1, to: 3, budgetMs: 60_000, seedMinDocs: 1 });
    expect(warmed.indexed.words).toBeGreaterThan(50);
    const facets = await db.select({ facet: searchIndexColumns.facet, version: searchIndexColumns.catalogVersion }).from(searchIndexColumns).where(eq(searchIndexColumns.tenantId, tenantId));
    expect(facets.map((f) => f.facet).sort()).toEqual(["attr:Oberfläche", "brand", "category"]);
    expect(new Set(facets.map((f) => f.version))).toEqual(new Set([3]));
    expect((await db.select().from(searchIndexBuilds).where(eq(searchIndexBuilds.tenantId, tenantId))).map((b) => b.catalogVersion)).toEqual([3]);
    expect(await answerFromIndex(db, tenantId, 3, "stahl verzinkt", { facets: ["attr:Oberfläche"], limit: 10, after: undefined })).toEqual(await fromDatabase("stahl verzinkt", ["attr:Oberfläche"], 10));
  });
});

describe("isolate cache", () => {
  it("keeps the most recently used within its budget, and always the newest", () => {
    const c = new IsolateCache<string>(10);
    c.set("a", "A", 4);
    c.set("b", "B", 4);
    expect(c.get("a")).toBe("A"); // now b is the least recently used
    c.set("c", "C", 4);
    expect([c.has("a"), c.has("b"), c.has("c")]).toEqual([true, false, true]);
    c.set("big", "X", 50);
    expect([c.has("a"), c.has("c"), c.get("big")]).toEqual([false, false, "X"]);
  });
});
