import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../workers/db/client.ts";
import { type Overview, overviewSchema } from "../../workers/ops/overview-schema.ts";
import { routeToRing } from "../../workers/router/route.ts";
import { parsePrometheusText } from "../support/prometheus-text.ts";
import { RING_ADMIN_TOKEN } from "./constants.ts";
import { call, tenantInRing } from "./helpers.ts";
import { connectStockConnector } from "./stock-connector.ts";

const auth = { authorization: `Bearer ${RING_ADMIN_TOKEN}` };
const scrape = async (headers: Record<string, string> = {}) => {
  const res = await call("/metrics", { headers: { ...auth, ...headers } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
  return parsePrometheusText(await res.text());
};
const overview = async (): Promise<Overview> => {
  const res = await call("/v1/admin/overview", { headers: auth });
  expect(res.status).toBe(200);
  return overviewSchema.parse(await res.json());
};
const stock = (key: string, articleIds: string[]) =>
  call("/v1/stock", { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ articleIds }) });

/** A finished full run of `rows` rows in Postgres (each ring reports its own tenants' runs). */
async function finishedRun(tenantId: string, rows: number) {
  const { pool } = openDatabase(env);
  try {
    await pool.query(
      `INSERT INTO sync_runs (tenant_id, run_id, mode, status, trigger, rows_done, started_at, finished_at, updated_at)
       VALUES ($1, 'full-1', 'full', 'succeeded', 'cron', $2, now() - interval '10 seconds', now(), now())`,
      [tenantId, rows],
    );
  } finally {
    await pool.end();
  }
}

describe("ops views across the rollout rings (router fan-out)", () => {
  let canary: { tenantId: string; key: string };
  let stable: { tenantId: string; key: string };
  const connectors: { close(): void }[] = [];

  beforeAll(async () => {
    canary = await tenantInRing("canary", "ops-c");
    stable = await tenantInRing("stable", "ops-s");
    connectors.push(await connectStockConnector(canary.tenantId), await connectStockConnector(stable.tenantId));
    // Canary: one ERP call, then a cache hit (ratio 0.5). Stable: three ERP calls, no hits.
    for (const ids of [["A-1"], ["A-1"]]) expect((await stock(canary.key, ids)).status).toBe(200);
    for (const ids of [["B-1"], ["B-2"], ["B-3"]]) expect((await stock(stable.key, ids)).status).toBe(200);
    await finishedRun(canary.tenantId, 1000);
    await finishedRun(stable.tenantId, 3000);
    // A refused admin request about the canary tenant: one audit error, to be shown once.
    expect((await call(`/v1/admin/tenants/${canary.tenantId}`, { method: "PATCH" })).status).toBe(401);
  });
  afterAll(() => {
    for (const c of connectors) c.close();
  });

  it("merges /metrics: each tenant's TenantSession lines from its own ring, exactly once, valid text", async () => {
    const m = await scrape();
    for (const ring of ["canary", "early", "stable"]) {
      expect(m.of("b2x_ring_up", { ring }).map((s) => s.value)).toEqual([1]);
      expect(m.of("b2x_build_info", { ring })).toHaveLength(1);
    }
    const calls = (tenant: string) => m.of("erp_provider_requests_total", { tenant, operation: "erp.stock", status: "success" }).map((s) => s.value);
    expect(calls(canary.tenantId)).toEqual([1]);
    expect(calls(stable.tenantId)).toEqual([3]);
    expect(m.of("erp_provider_cache_hit_ratio", { tenant: canary.tenantId }).map((s) => s.value)).toEqual([0.5]);
    expect(m.of("erp_provider_cache_hit_ratio", { tenant: stable.tenantId }).map((s) => s.value)).toEqual([0]);
    for (const t of [canary, stable]) {
      expect(m.of("b2x_tenant_session_up", { tenant: t.tenantId }).map((s) => s.value)).toEqual([1]);
      expect(m.of("b2x_connectors_online", { tenant: t.tenantId }).map((s) => s.value)).toEqual([1]);
      expect(m.of("erp_provider_request_duration_seconds_count", { tenant: t.tenantId, operation: "erp.stock" })).toHaveLength(1);
    }
    expect(m.of("b2x_tenant_info", { tenant: canary.tenantId }).map((s) => s.labels.ring)).toEqual(["canary"]);
    expect(m.of("b2x_sync_last_run_rows", { tenant: canary.tenantId, mode: "full" }).map((s) => s.value)).toEqual([1000]);
    expect(m.of("b2x_sync_last_run_rows", { tenant: stable.tenantId, mode: "full" }).map((s) => s.value)).toEqual([3000]);
  });

  it("lets each ring report only its own tenants (one ring scraped directly)", async () => {
    const m = await scrape({ "x-b2x-target-ring": "canary" });
    expect(m.of("b2x_ring_up")).toHaveLength(0);
    expect(m.of("b2x_build_info").map((s) => s.labels.ring)).toEqual(["canary"]);
    expect(m.of("b2x_tenant_session_up", { tenant: canary.tenantId })).toHaveLength(1);
    expect(m.of("b2x_tenant_session_up", { tenant: stable.tenantId })).toHaveLength(0);
    expect(m.of("b2x_sync_runs_total", { tenant: stable.tenantId })).toHaveLength(0);
    expect(new Set(m.of("b2x_tenant_info").map((s) => s.labels.ring))).toEqual(new Set(["canary"]));
  });

  it("merges the ops overview: both tenants with their own ring's live figures, every ring's version, errors once", async () => {
    const o = await overview();
    expect(o.rings.map((r) => [r.ring, r.ok])).toEqual([["canary", true], ["early", true], ["stable", true]]);
    for (const r of o.rings) expect(r.worker).not.toBeNull();
    const ids = o.tenants.map((t) => t.tenantId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((a, b) => a.localeCompare(b)));
    const a = o.tenants.find((t) => t.tenantId === canary.tenantId)!;
    const b = o.tenants.find((t) => t.tenantId === stable.tenantId)!;
    expect(a).toMatchObject({ ring: "canary", sessionUp: true, live: { calls: 1, cacheHitRatio: 0.5, queueDepth: 0 } });
    expect(b).toMatchObject({ ring: "stable", sessionUp: true, live: { calls: 3, cacheHitRatio: 0 } });
    expect(a.connectors).toEqual([expect.objectContaining({ connectorId: "werk-1", online: true, version: "1.0.0-test" })]);
    expect(b.connectors).toEqual([expect.objectContaining({ connectorId: "werk-1", online: true })]);
    expect(a.syncRuns.map((r) => [r.status, r.rowsDone])).toEqual([["succeeded", 1000]]);
    expect(b.syncRuns.map((r) => [r.status, r.rowsDone])).toEqual([["succeeded", 3000]]);
    expect(o.recentErrors.filter((e) => e.tenantId === canary.tenantId && e.source === "admin")).toHaveLength(1);
    expect(o.signedInAs).not.toBe("");
  });

  it("answers with the rings that are up when rings are down, and flags the missing ones", async () => {
    // The real router code with two rings replaced: one whose database is unreachable, one that throws.
    // Bindings only this test project declares (vitest.config.ts), so not in the generated Env.
    const broken = env as unknown as RouterEnv & { RING_BROKEN_DB: Fetcher; RING_CRASHING: Fetcher };
    const downEnv: RouterEnv = { ...broken, RING_CANARY: broken.RING_CRASHING, RING_EARLY: broken.RING_BROKEN_DB };
    const get = (path: string) => routeToRing(new Request(`http://edge.test${path}`, { headers: auth }), downEnv);

    const res = await get("/metrics");
    expect(res.status).toBe(200);
    const m = parsePrometheusText(await res.text());
    expect(m.of("b2x_ring_up").map((s) => [s.labels.ring, s.value])).toEqual([["canary", 0], ["early", 0], ["stable", 1]]);
    expect(m.of("b2x_tenant_session_up", { tenant: stable.tenantId }).map((s) => s.value)).toEqual([1]);
    expect(m.of("b2x_tenant_session_up", { tenant: canary.tenantId })).toHaveLength(0);

    const view = await get("/v1/admin/overview");
    expect(view.status).toBe(200);
    const o = overviewSchema.parse(await view.json());
    const byRing = Object.fromEntries(o.rings.map((r) => [r.ring, r]));
    expect(byRing.canary).toMatchObject({ ok: false, worker: null, error: "ring crashed" });
    expect(byRing.early).toMatchObject({ ok: false, worker: null, error: expect.stringMatching(/^HTTP 503 /) });
    expect(byRing.stable).toMatchObject({ ok: true });
    expect(o.tenants.some((t) => t.tenantId === stable.tenantId)).toBe(true);
    expect(o.tenants.some((t) => t.tenantId === canary.tenantId)).toBe(false);
  });

  it("passes a refusal by every ring on (wrong admin token): 401, not an empty merge", async () => {
    for (const path of ["/metrics", "/v1/admin/overview"]) {
      const res = await call(path, { headers: { authorization: "Bearer wrong-token" } });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: { code: string; requestId: string } };
      expect(body.error.code).toBe("unauthorized");
      expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
    }
  });
});
