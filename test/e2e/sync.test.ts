import { afterAll, describe, expect, inject, it } from "vitest";
import { mutate } from "../../connector-host/simulator/mutate.ts";
import { adminHttp } from "./client.ts";
import { erpDigest, pgCounts, pgDigest, pgQuery } from "./ground-truth.ts";
import { cleanupFixtures, liveTenant, waitUntil } from "./tenant-fixture.ts";

afterAll(cleanupFixtures);
const ARTICLES = 20_000;

async function runSync(tenantId: string, mode: "full" | "incremental", timeoutMs = 240_000) {
  const start = await adminHttp(`/tenants/${tenantId}/sync`, { method: "POST", json: { mode } });
  expect(start.status).toBe(202);
  const runId: string = start.body.runId;
  let run: { status: string; errors: unknown[]; rowsDone: number } | undefined;
  await waitUntil(
    async () => {
      run = (await adminHttp(`/tenants/${tenantId}/sync`)).body.runs.find((r: { runId: string }) => r.runId === runId);
      if (run?.status === "failed") throw new Error(`run failed: ${JSON.stringify(run.errors)}`);
      return run?.status === "succeeded";
    },
    timeoutMs,
    `${mode} run ${runId}`,
  );
  return { runId, run: run! };
}

describe("master-data sync (real Postgres, connector and simulator)", () => {
  it("full run equals the ERP; incremental after changes equals it again; deletions disappear", { timeout: 300_000 }, async () => {
    const t = await liveTenant({ erpProvider: { syncBatchSize: 1000 } }, { articles: ARTICLES });
    // Whatever the edge refuses of what the connector sends (an error frame) would break a long stage.
    const refused: unknown[] = [];
    await t.startConnector("werk-1", {}, (_level, msg, fields) => msg === "edge reported an error" && refused.push(fields));
    const url = inject("stackDatabaseUrl");

    const full = await runSync(t.tenantId, "full");
    expect(refused).toEqual([]);
    expect(full.run.rowsDone).toBeGreaterThanOrEqual(ARTICLES * 2);
    expect((full.run as unknown as { rowsTotal: number }).rowsTotal).toBe(ARTICLES * 3);
    expect(await pgDigest(url, t.tenantId)).toEqual(erpDigest(t.erp));

    // Details: attributes, media, cross-references and the category path, as in the ERP.
    const withRefs = [...t.erp.allArticles()].find((a) => ((t.erp.current("cross_references", a.articleId) as { items: unknown[] } | null)?.items.length ?? 0) >= 2)!;
    const details = (await t.get(`/v1/catalog/articles/${withRefs.articleId}`)).body;
    const erpMedia = (t.erp.current("media", withRefs.articleId) as { items: { url: string }[] }).items.map((m) => m.url);
    expect(details.media.map((m: { url: string }) => m.url)).toEqual(erpMedia);
    const erpRefs = (t.erp.current("cross_references", withRefs.articleId) as { items: { targetArticleId: string }[] }).items.map((x) => x.targetArticleId).sort();
    expect(details.crossReferences.map((x: { articleId: string }) => x.articleId).sort()).toEqual(erpRefs);
    expect(details.crossReferences[0].name).toBe(t.erp.article(details.crossReferences[0].articleId)!.name);
    const leaf = t.erp.categories().find((c) => c.categoryId === withRefs.categoryIds[0])!;
    expect(details.categoryPaths[0].map((p: { categoryId: string }) => p.categoryId)).toEqual(leaf.path);
    expect(details.categoryPaths[0].at(-1).name).toBe(leaf.name);
    expect(Object.keys(details.attributes)).toHaveLength(20);

    const changes = mutate(t.erp, { change: 1000, add: 100, delete: 50, seed: 11 });
    await runSync(t.tenantId, "incremental");
    expect(await pgDigest(url, t.tenantId)).toEqual(erpDigest(t.erp));

    for (const id of changes.deleted.slice(0, 5)) expect((await t.get(`/v1/catalog/articles/${id}`)).status).toBe(404);
    for (const id of changes.added.slice(0, 5)) expect((await t.get(`/v1/catalog/articles/${id}`)).status).toBe(200);
    const changed = await t.get(`/v1/catalog/articles/${changes.changed[0]}`);
    expect(changed.body.name).toBe(t.erp.article(changes.changed[0]!)!.name);

    // Search follows the sync: after the commit the summaries of the commonest name words are
    // carried to the new catalog version (rolled forward with the run's 1,150 changes), and
    // what they answer equals Postgres' own count.
    const current = async () => (await pgQuery<{ v: string }>(url, `SELECT catalog_version AS v FROM tenants WHERE tenant_id = $1`, [t.tenantId]))[0]!.v;
    const [common] = await pgQuery<{ word: string }>(url, `SELECT word FROM search_words WHERE tenant_id = $1 AND correctable ORDER BY ndoc DESC, word LIMIT 1`, [t.tenantId]);
    await waitUntil(
      async () => (await pgQuery(url, `SELECT 1 FROM search_summaries WHERE tenant_id = $1 AND catalog_version = $2 AND request->>'q' = $3`, [t.tenantId, await current(), common!.word])).length > 0,
      60_000,
      "search summaries carried over",
    );
    const found = await t.get(`/v1/catalog/search?q=${encodeURIComponent(common!.word)}`);
    const [direct] = await pgQuery<{ n: number }>(url, `SELECT count(*)::int AS n FROM articles WHERE tenant_id = $1 AND deleted_at IS NULL AND (search @@ plainto_tsquery('german', $2) OR name_norm LIKE '%' || $2 || '%')`, [t.tenantId, common!.word]);
    expect(found.body.total).toBe(direct!.n);

    await runSync(t.tenantId, "full");
    expect(await pgDigest(url, t.tenantId)).toEqual(erpDigest(t.erp));
    const status = (await adminHttp(`/tenants/${t.tenantId}/sync`)).body;
    expect(Object.keys(status.entities).sort()).toEqual(["articles", "attributes", "categories", "cross_references", "media"]);
    expect(status.entities.articles.lagSeconds).toBeGreaterThanOrEqual(0);
  });

  it("resumes a run after the connector is killed mid-run: complete, equal, nothing doubled", { timeout: 300_000 }, async () => {
    const t = await liveTenant({ erpProvider: { syncBatchSize: 500 } }, { articles: ARTICLES });
    const first = await t.startConnector("werk-1");
    t.erp.setFaults({ perCallMs: 5 });
    const start = await adminHttp(`/tenants/${t.tenantId}/sync`, { method: "POST", json: { mode: "full" } });
    const runId = start.body.runId;
    await waitUntil(async () => ((await adminHttp(`/tenants/${t.tenantId}/sync`)).body.runs[0]?.rowsDone ?? 0) > 3000, 60_000, "progress");
    first.client.kill();
    await new Promise((r) => setTimeout(r, 300));
    t.erp.setFaults({ perCallMs: 0 });
    await t.startConnector("werk-1");
    await waitUntil(async () => {
      const run = (await adminHttp(`/tenants/${t.tenantId}/sync`)).body.runs.find((r: { runId: string }) => r.runId === runId);
      if (run?.status === "failed") throw new Error(JSON.stringify(run.errors));
      return run?.status === "succeeded";
    }, 240_000, "resumed run");
    const run = (await adminHttp(`/tenants/${t.tenantId}/sync`)).body.runs.find((r: { runId: string }) => r.runId === runId);
    expect(run.attempts).toBeGreaterThanOrEqual(1);
    const url = inject("stackDatabaseUrl");
    expect(await pgDigest(url, t.tenantId)).toEqual(erpDigest(t.erp));
    const counts = await pgCounts(url, t.tenantId);
    expect(counts.articles).toBe(ARTICLES);
    expect(counts.categories).toBe(t.erp.categories().length);
  });

  // Killing the DO mid-transaction needs real Postgres sessions (PGlite shares one session).
  it.skipIf(inject("postgresKind") !== "system")("resumes a run after the tenant session restarts mid-run", { timeout: 300_000 }, async () => {
    const t = await liveTenant({ erpProvider: { syncBatchSize: 500 } }, { articles: 10_000 });
    await t.startConnector();
    t.erp.setFaults({ perCallMs: 5 });
    const start = await adminHttp(`/tenants/${t.tenantId}/sync`, { method: "POST", json: { mode: "full" } });
    await waitUntil(async () => ((await adminHttp(`/tenants/${t.tenantId}/sync`)).body.runs[0]?.rowsDone ?? 0) > 2000, 60_000, "progress");
    await adminHttp(`/tenants/${t.tenantId}/session/reset`, { method: "POST" });
    t.erp.setFaults({ perCallMs: 0 });
    await waitUntil(async () => {
      const run = (await adminHttp(`/tenants/${t.tenantId}/sync`)).body.runs.find((r: { runId: string }) => r.runId === start.body.runId);
      if (run?.status === "failed") throw new Error(JSON.stringify(run.errors));
      return run?.status === "succeeded";
    }, 120_000, "run after reset");
    expect(await pgDigest(inject("stackDatabaseUrl"), t.tenantId)).toEqual(erpDigest(t.erp));
  });

  it("starts one run for two simultaneous triggers", async () => {
    const t = await liveTenant({}, { articles: 2000 });
    await t.startConnector();
    const [a, b] = await Promise.all([
      adminHttp(`/tenants/${t.tenantId}/sync`, { method: "POST", json: { mode: "incremental" } }),
      adminHttp(`/tenants/${t.tenantId}/sync`, { method: "POST", json: { mode: "full" } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([202, 409]);
    expect(a.body.runId).toBe(b.body.runId);
    await waitUntil(async () => (await adminHttp(`/tenants/${t.tenantId}/sync`)).body.runs[0]?.status === "succeeded", 60_000);
    expect((await adminHttp(`/tenants/${t.tenantId}/sync`)).body.runs).toHaveLength(1);
  });

  it("fails a run with a clear error when the connector sends rows that do not validate", async () => {
    const t = await liveTenant({}, { articles: 200 });
    // An article row with an empty name: the ERP data is broken, the run must say which row.
    const bad = t.erp.article("1000007")!;
    t.erp.transaction(() => t.erp.putOverlay("articles", "1000007", { ...bad, name: "" }, new Date().toISOString()));
    await t.startConnector();
    const start = await adminHttp(`/tenants/${t.tenantId}/sync`, { method: "POST", json: { mode: "full" } });
    let run: { status: string; errors: { message: string }[] } | undefined;
    await waitUntil(async () => {
      run = (await adminHttp(`/tenants/${t.tenantId}/sync`)).body.runs.find((r: { runId: string }) => r.runId === start.body.runId);
      return run?.status === "failed";
    }, 60_000);
    expect(run!.errors.at(-1)!.message).toMatch(/articles row #\d+ \(key '1000007'\): name/);
    const cp = (await adminHttp(`/tenants/${t.tenantId}/sync`)).body.entities.articles;
    // Chunks before the bad one committed with their checkpoint; the bad chunk moved nothing.
    expect(Number(cp?.checkpoint ?? 0)).toBeLessThan(OVERLAY);
  });
});

const OVERLAY = 10_000_000_000;
