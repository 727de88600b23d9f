import { env } from "cloudflare:workers";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateChunk } from "../../durable-objects/sync/rows.ts";
import { WriteBatch } from "../../durable-objects/sync/write-batch.ts";
import { SyncWriter } from "../../durable-objects/sync/writer.ts";
import { searchSummaries } from "../../schema/index.ts";
import type { FilterNode } from "../../schema/query-descriptor.ts";
import type { SyncCursor } from "../../schema/sync.ts";
import { openDatabase } from "../../workers/db/client.ts";
import { textMatch } from "../../workers/search/match.ts";
import { rollSummary, runChanges, type StoredSummary } from "../../workers/search/roll.ts";
import { evaluate, SUMMARY_FACET_VALUES } from "../../workers/search/statement.ts";
import { storeSummary, SUMMARY_TOP, summaryKey, summaryRequest, warmSummaries } from "../../workers/search/summaries.ts";
import { createTenantWithKey } from "./helpers.ts";
import { fixture, type FixtureLine, loadFixture } from "./search-fixture.ts";

// Summaries rolled forward across an incremental sync, written by the real sync writer into a
// real Postgres, must equal the summaries computed again from scratch on the new catalog.
const handle = openDatabase(env);
const db = handle.db;
let tenantId: string;
let rowversion = 10_000;

type Edit = Partial<Omit<FixtureLine, "articleId">> & { articleId: string };
const byId = new Map(fixture.map((f) => [f.articleId, f]));

/** A sync change row for an article: the fixture's, with `edit` on top (a new id is a new article). */
function articleChange(edit: Edit) {
  const f = { ...byId.get(edit.articleId), ...edit } as FixtureLine;
  const rv = ++rowversion;
  const attributes = Object.entries(f.attributes ?? {}).map(([key, value], position) => ({ key, value, unit: null, position }));
  return {
    rowversion: rv, key: f.articleId, deleted: false,
    row: {
      articleId: f.articleId, articleNumber: f.articleNumber ?? f.articleId, name: f.name, description: f.description ?? "", brand: f.brand ?? null, ean: f.ean ?? null,
      manufacturerNumber: f.manufacturerNumber ?? null, categoryIds: f.categoryIds ?? [], rowversion: rv, changedAt: new Date().toISOString(), attributes,
    },
  };
}

/** An incremental run as the runner drives it: each stage's batch through the writer, then its commit. */
async function incrementalRun(articleRows: unknown[], attributeRows: unknown[] = [], midRun?: () => Promise<void>): Promise<{ runId: string; version: number }> {
  const runId = `roll-${++rowversion}`;
  const stream = (entity: string) => ({ stream: `${runId}-${entity}`, entity, seq: -1 });
  const cursor: SyncCursor = { stage: "articles", after: {}, ingest: stream("articles") as SyncCursor["ingest"] };
  await handle.pool.query(`INSERT INTO sync_runs (tenant_id, run_id, mode, status, stage, trigger, cursor) VALUES ($1, $2, 'incremental', 'running', 'articles', 'admin', $3)`, [tenantId, runId, JSON.stringify(cursor)]);
  const writer = new SyncWriter(handle.pool, tenantId, runId, "incremental");
  const articles = new WriteBatch("articles");
  articles.add(validateChunk("articles", articleRows));
  expect((await writer.writeBatch(articles, `${runId}-articles`, 0)).kind).toBe("committed");
  await midRun?.();
  if (attributeRows.length > 0) {
    await writer.saveCursor({ ...(await writer.readCursor()), stage: "attributes", ingest: stream("attributes") as SyncCursor["ingest"] });
    const attributes = new WriteBatch("attributes");
    attributes.add(validateChunk("attributes", attributeRows));
    expect((await writer.writeBatch(attributes, `${runId}-attributes`, 0)).kind).toBe("committed");
  }
  const { catalogVersion } = await writer.finish();
  return { runId, version: catalogVersion };
}

/** What a summary of `request` holds when computed from scratch on the catalog as it is now. */
async function fromScratch(request: { q: string; filter?: unknown }, facets: string[], topSize = SUMMARY_TOP) {
  const r = await evaluate(db, { tenantId, match: textMatch(tenantId, request.q), filter: request.filter as FilterNode | undefined }, { sort: "relevance", after: undefined, limit: topSize }, { count: true, facets, idsOnly: true, facetValues: SUMMARY_FACET_VALUES });
  return { total: r.total, facets: r.facets, top: r.items.map((i) => [i.articleId, i.score]) };
}

const stored = (version: number) => db.select().from(searchSummaries).where(and(eq(searchSummaries.tenantId, tenantId), eq(searchSummaries.catalogVersion, version)));

beforeAll(async () => {
  tenantId = (await createTenantWithKey()).tenantId;
  await loadFixture(db, tenantId);
  // The catalog as a full run left it (version 1).
  await handle.pool.query(`INSERT INTO sync_runs (tenant_id, run_id, mode, status, stage, trigger, finished_at) VALUES ($1, 'roll-full', 'full', 'succeeded', 'done', 'admin', now())`, [tenantId]);
  await handle.pool.query(`UPDATE tenants SET catalog_version = 1 WHERE tenant_id = $1`, [tenantId]);
});
afterAll(() => handle.pool.end());

describe("search summaries rolled forward across an incremental sync", () => {
  const requests: { q: string; filter?: FilterNode; facets: string[] }[] = [
    { q: "Schraube", facets: ["brand", "category", "attr:Material"] },
    { q: "Edelstahl", facets: ["brand"] },
    { q: "", filter: { field: "categoryId", op: "EQ", value: "K1-01-2" }, facets: ["brand", "category"] },
    { q: "Sechskantschraube M8", facets: [] },
    { q: "Bosch", filter: { not: { field: "brand", op: "EQ", value: "Bosch" } }, facets: ["attr:Material"] },
  ];

  it("equal what computing them again gives", async () => {
    for (const r of requests) await storeSummary(db, tenantId, 1, summaryRequest(r), r.facets);
    const v1 = await stored(1);
    const schrauben = fixture.filter((f) => /schraube/i.test(f.name));
    const plain = fixture.filter((f) => !/schraube|edelstahl|bosch/i.test(`${f.name} ${f.brand} ${f.description} ${JSON.stringify(f.attributes)}`));
    const { runId, version } = await incrementalRun(
      [
        // Matches that stop matching, matches that change their facets or rank, new matches, new articles.
        articleChange({ articleId: schrauben[0]!.articleId, name: "Dübel 8 mm" }),
        articleChange({ articleId: schrauben[1]!.articleId, brand: "Bosch", categoryIds: ["K1-01-2", "K9-99-9"] }),
        articleChange({ articleId: schrauben[2]!.articleId, name: `${schrauben[2]!.name} Schraube Schraube` }),
        articleChange({ articleId: plain[0]!.articleId, name: `Edelstahlschraube ${plain[0]!.name}` }),
        articleChange({ articleId: plain[1]!.articleId, categoryIds: ["K1-01-2"] }),
        articleChange({ articleId: plain[3]!.articleId, description: "Passend für Bosch Akkus." }),
        articleChange({ articleId: "NEW-1", name: "Sechskantschraube M8x25 Edelstahl", description: "", brand: "Würth", ean: null, categoryIds: ["K1-01-2"], attributes: { Material: "Titan" } }),
        articleChange({ articleId: "NEW-2", name: "Werkbank", description: "", brand: "Bosch", ean: null, categoryIds: ["K7-01-1"], attributes: {} }),
        { rowversion: ++rowversion, key: schrauben[3]!.articleId, deleted: true },
        { rowversion: ++rowversion, key: plain[2]!.articleId, deleted: true },
      ],
      // An attribute set alone changes what an article is found by (its document) and its facets.
      [schrauben[4]!, schrauben[5]!].map((f, i) => ({
        rowversion: ++rowversion, key: f.articleId, deleted: false,
        row: { articleId: f.articleId, rowversion, changedAt: new Date().toISOString(), items: [{ key: "Material", value: i === 0 ? "Edelstahl A4" : "Messing", unit: null, position: 0 }] },
      })),
      // A summary stored while the run writes (a storefront query at the old version) holds part
      // of the run's changes already: it must be computed again, never rolled.
      () => storeSummary(db, tenantId, 1, summaryRequest({ q: "Dübel" }), []),
    );
    expect(version).toBe(2);

    const warmed = await warmSummaries(db, tenantId, { from: 1, to: 2, budgetMs: 0, runId, seedWords: 0, rollMinMs: 0 });
    expect(warmed).toMatchObject({ rolled: requests.length, rebuilt: 0 });
    const rolled = await stored(2);
    expect(rolled.map((s) => s.request.q).sort()).toEqual(requests.map((r) => summaryRequest(r).q).sort());
    for (const r of requests) {
      const s = rolled.find((x) => x.request.q === summaryRequest(r).q)!;
      expect({ total: s.total, facets: s.facets, top: s.top }, r.q || JSON.stringify(r.filter)).toEqual(await fromScratch(s.request, Object.keys(s.facets)));
    }
    // The run moved what they hold (else this would test nothing).
    const moved = rolled.filter((s) => {
      const before = v1.find((x) => x.queryKey === s.queryKey)!;
      return JSON.stringify([before.total, before.facets, before.top]) !== JSON.stringify([s.total, s.facets, s.top]);
    });
    expect(moved.length).toBe(requests.length);
    // What the run kept for the roll is gone with it.
    expect((await handle.pool.query(`SELECT count(*)::int AS n FROM catalog_changes WHERE tenant_id = $1`, [tenantId])).rows[0].n).toBe(0);
  });

  it("keys a summary the same whether its request was typed or read back from jsonb", async () => {
    const filter = { field: "categoryId", op: "IN", values: ["K1-01-2", "K1-01-1"] };
    const reordered = { values: ["K1-01-2", "K1-01-1"], op: "IN", field: "categoryId" };
    expect(await summaryKey({ q: "schraube", filter: reordered })).toBe(await summaryKey({ q: "schraube", filter }));
    expect(await summaryKey({ q: "schraube", filter: { ...filter, values: ["K1-01-1", "K1-01-2"] } })).not.toBe(await summaryKey({ q: "schraube", filter }));
  });

  it("keeps a ranking cut short right up to where it is known, and rolls nothing when another run wrote", async () => {
    const request = { q: "schraube" };
    const full = await fromScratch(request, ["brand"]);
    const shown = 12;
    const ranked = full.top as [string, number][];
    const s: StoredSummary = { queryKey: "test", request: { ...request }, total: full.total!, facets: full.facets, top: ranked.slice(0, shown), computedMs: 1, createdAt: new Date(Date.now() - 60_000) };
    // The third best drops out, the fifth falls back below the cut (a match in its description
    // only), and one from beyond the cut comes first.
    const { runId, version } = await incrementalRun([
      articleChange({ articleId: ranked[2]![0], name: "Werkbank" }),
      articleChange({ articleId: ranked[4]![0], name: "Werkbank", description: "Mit passender Schraube." }),
      articleChange({ articleId: ranked[shown + 5]![0], name: "Schraube Schraube Schraube Schraube" }),
    ]);
    const run = (await runChanges(db, tenantId, runId, version))!;
    const rolled = await rollSummary(db, tenantId, s, run, SUMMARY_TOP);
    const now = await fromScratch(request, ["brand"]);
    expect(rolled.total).toBe(now.total);
    expect(rolled.facets).toEqual(now.facets);
    expect(rolled.top.length).toBeGreaterThanOrEqual(shown - 3);
    expect(rolled.top).toEqual(now.top.slice(0, rolled.top.length));
    expect(rolled.top[0]![0]).toBe(ranked[shown + 5]![0]);

    // A run that started after it (its writes would be taken for this run's), or a failed one
    // before it (its writes are in no capture): nothing to roll with.
    await handle.pool.query(`INSERT INTO sync_runs (tenant_id, run_id, mode, status, stage, trigger) VALUES ($1, 'roll-later', 'incremental', 'failed', 'articles', 'admin')`, [tenantId]);
    expect(await runChanges(db, tenantId, runId, version)).toBeUndefined();
    const next = await incrementalRun([articleChange({ articleId: ranked[6]![0], name: "Werkbank" })]);
    expect(await runChanges(db, tenantId, next.runId, next.version)).toBeUndefined();
    await db.execute(sql`DELETE FROM sync_runs WHERE tenant_id = ${tenantId} AND run_id = 'roll-later'`);
  });

  it("computes a summary that was cheap to compute again instead of rolling it", async () => {
    const from = Number((await handle.pool.query(`SELECT catalog_version AS v FROM tenants WHERE tenant_id = $1`, [tenantId])).rows[0].v);
    const page = { q: "", filter: { field: "categoryId", op: "EQ", value: "K1-01-2" } as FilterNode };
    const word = { q: "Schraube" };
    await storeSummary(db, tenantId, from, summaryRequest(page), ["brand"]);
    await storeSummary(db, tenantId, from, summaryRequest(word), ["brand"]);
    // As at 1.5M articles: the category page counted in 40 ms, the broad word in 500.
    await handle.pool.query(`UPDATE search_summaries SET computed_ms = CASE WHEN request->>'q' = '' THEN 40 ELSE 500 END WHERE tenant_id = $1 AND catalog_version = $2`, [tenantId, from]);
    const changed = fixture.filter((f) => /schraube/i.test(f.name) && f.categoryIds.includes("K1-01-2"))[0] ?? fixture.find((f) => /schraube/i.test(f.name))!;
    const { runId, version } = await incrementalRun([articleChange({ articleId: changed.articleId, name: "Werkbank", categoryIds: ["K1-01-2"] })]);
    const warmed = await warmSummaries(db, tenantId, { from, to: version, budgetMs: 60_000, runId, seedWords: 0, rollMinMs: 100 });
    expect(warmed).toMatchObject({ rolled: 1, rebuilt: 1 });
    for (const r of [page, word]) {
      const s = (await stored(version)).find((x) => x.request.q === summaryRequest(r).q)!;
      expect({ total: s.total, facets: s.facets, top: s.top }).toEqual(await fromScratch(s.request, ["brand", "category"]));
    }
  });
});
