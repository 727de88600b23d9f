import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { CallMetrics } from "../../durable-objects/metrics.ts";
import type { TenantSession } from "../../durable-objects/tenant-session.ts";
import { syncRuns } from "../../schema/index.ts";
import { openDatabase } from "../../workers/db/client.ts";
import { parsePrometheusText } from "../support/prometheus-text.ts";
import { TEST_ADMIN_TOKEN } from "./constants.ts";
import { admin, call, uniqueTenantId } from "./helpers.ts";

const scrape = async () => {
  const res = await call("/metrics", { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
  return parsePrometheusText(await res.text());
};

/** Finished runs `secondsAgo` apart, newest first: [rows, seconds] each. */
async function insertRuns(tenantId: string, mode: "full" | "incremental", runs: [number, number][], status: "succeeded" | "failed" = "succeeded") {
  const { db, pool } = openDatabase(env);
  try {
    const now = Date.now();
    await db.insert(syncRuns).values(
      runs.map(([rows, seconds], i) => {
        const finishedAt = new Date(now - i * 3_600_000);
        return { tenantId, runId: `${mode}-${status}-${i}`, mode, status, trigger: "cron" as const, rowsDone: rows, startedAt: new Date(finishedAt.getTime() - seconds * 1000), finishedAt, updatedAt: finishedAt };
      }),
    );
  } finally {
    await pool.end();
  }
}

describe("GET /metrics", () => {
  it("is valid Prometheus text with every tenant's families grouped, sync figures from Postgres and rings", async () => {
    const a = uniqueTenantId("met");
    const b = uniqueTenantId("met");
    expect((await admin("/tenants", "POST", { tenantId: a, name: a, rolloutRing: "canary" })).status).toBe(201);
    expect((await admin("/tenants", "POST", { tenantId: b, name: b })).status).toBe(201);
    // ERP calls in both tenants' sessions, so their histograms interleave in the sources.
    // A call answered before workerd's clock moved measures 0 s: still an observation.
    for (const [tenant, seconds] of [[a, 0.02], [a, 3], [b, 0.2], [b, 0]] as const) {
      const stub = env.TENANT_SESSION.get(env.TENANT_SESSION.idFromName(tenant));
      await runInDurableObject(stub, (instance: TenantSession) => (instance as unknown as { metrics: CallMetrics }).metrics.record("erp.prices", seconds > 1 ? "deadline_exceeded" : "success", seconds));
    }
    // The last full run took twice as long per row as the five before it.
    await insertRuns(a, "full", [[10_000, 20], [10_000, 10], [10_000, 10], [10_000, 10], [10_000, 10], [10_000, 10], [10_000, 1]]);
    await insertRuns(a, "incremental", [[10, 1]]);
    await insertRuns(a, "full", [[5, 1]], "failed");

    const m = await scrape();
    expect(m.of("b2x_tenant_info", { tenant: a })[0]!.labels.ring).toBe("canary");
    expect(m.of("b2x_tenant_info", { tenant: b })[0]!.labels.ring).toBe("stable");
    expect(m.of("b2x_tenant_session_up", { tenant: a })[0]!.value).toBe(1);
    expect(m.of("erp_provider_requests_total", { tenant: a, status: "deadline_exceeded" })[0]!.value).toBe(1);
    expect(m.of("erp_provider_request_duration_seconds_count", { tenant: b })[0]!.value).toBe(2);
    expect(m.of("erp_provider_request_duration_seconds_bucket", { tenant: b, le: "0.001" })[0]!.value).toBe(1);
    expect(m.of("erp_provider_requests_total", { tenant: b, status: "success" })[0]!.value).toBe(2);
    expect(m.of("b2x_connectors_online", { tenant: b })[0]!.value).toBe(0);
    expect(m.of("b2x_sync_runs_total", { tenant: a, mode: "full", status: "succeeded" })[0]!.value).toBe(7);
    expect(m.of("b2x_sync_runs_total", { tenant: a, mode: "full", status: "failed" })[0]!.value).toBe(1);
    expect(m.of("b2x_sync_last_run_duration_seconds", { tenant: a, mode: "full" })[0]!.value).toBe(20);
    expect(m.of("b2x_sync_last_run_rows", { tenant: a, mode: "full" })[0]!.value).toBe(10_000);
    expect(m.of("b2x_sync_last_run_rows_per_second", { tenant: a, mode: "full" })[0]!.value).toBe(500);
    // The run before the five is outside the baseline window; the failed run is no part of it.
    expect(m.of("b2x_sync_baseline_rows_per_second", { tenant: a, mode: "full" })[0]!.value).toBe(1000);
    // Ten rows say nothing about performance: no rate, but the run is counted.
    expect(m.of("b2x_sync_last_run_rows_per_second", { tenant: a, mode: "incremental" })).toHaveLength(0);
    expect(m.of("b2x_sync_last_run_rows", { tenant: a, mode: "incremental" })[0]!.value).toBe(10);
    expect(m.of("b2x_sync_running", { tenant: a })[0]!.value).toBe(0);
    expect(m.of("b2x_build_info")).toHaveLength(1);
    for (const name of ["erp_provider_request_duration_seconds", "erp_provider_requests_total", "b2x_sync_runs_total"]) expect(m.types.has(name)).toBe(true);
  });

  it("needs the admin token", async () => {
    expect((await call("/metrics")).status).toBe(401);
  });
});

describe("the Prometheus text checker used by these tests", () => {
  it("refuses what a scraper would refuse", () => {
    const head = "# HELP x_total X.\n# TYPE x_total counter\n";
    expect(() => parsePrometheusText(`${head}x_total{a="1"} 1\n`)).not.toThrow();
    expect(() => parsePrometheusText(`${head}y_total 1\n`)).toThrow(/undeclared/);
    expect(() => parsePrometheusText(`${head}x_total 1\n# HELP y Y.\n# TYPE y gauge\ny 1\nx_total{a="2"} 1\n`)).toThrow(/outside/);
    expect(() => parsePrometheusText(`${head}x_total 1\nx_total 2\n`)).toThrow(/duplicate/);
    const hist = (b1: number, b2: number, count: number) => `# HELP h H.\n# TYPE h histogram\nh_bucket{le="0.1"} ${b1}\nh_bucket{le="+Inf"} ${b2}\nh_sum 1\nh_count ${count}\n`;
    expect(() => parsePrometheusText(hist(1, 2, 2))).not.toThrow();
    expect(() => parsePrometheusText(hist(3, 2, 2))).toThrow(/cumulative/);
    expect(() => parsePrometheusText(hist(1, 2, 3))).toThrow(/\+Inf/);
  });
});
