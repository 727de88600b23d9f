import { afterAll, describe, expect, inject, it } from "vitest";
import { runStep } from "../../../bench/lib/load-mix.ts";
import { accountOrders, orderingCustomers, syncedCatalog } from "../../../bench/lib/load-target.ts";
import { recordScenario } from "../../support/scenario-log.ts";
import { baseUrl, adminHttp } from "../client.ts";
import { cleanupFixtures, liveTenant, waitUntil } from "../tenant-fixture.ts";

afterAll(cleanupFixtures);

/** `B2X_SOAK=1` runs the mix longer. */
const SECONDS = process.env.B2X_SOAK === "1" ? 30 : 3;

describe("load: a short bounded run of the storefront mix (the CI slice of npm run bench -- load)", () => {
  it("serves search, details + live price and orders with no error, and every accepted order reaches the ERP once", { timeout: 180_000 }, async () => {
    const t = await liveTenant({ rateLimit: { requestsPerMinute: 10_000_000 } }, { articles: 600, customers: 100 });
    await t.startConnector();
    const run = await adminHttp(`/tenants/${t.tenantId}/sync`, { method: "POST", json: { mode: "full" } });
    await waitUntil(async () => (await adminHttp(`/tenants/${t.tenantId}/sync`)).body.runs.find((r: { runId: string }) => r.runId === run.body.runId)?.status === "succeeded", 90_000, "full sync");
    const catalog = await syncedCatalog(inject("stackDatabaseUrl"), t.tenantId);
    expect(catalog.articleIds.length).toBe(600);
    expect(catalog.searchTerms.length).toBeGreaterThan(5);
    const customers = orderingCustomers(t.erp, 20);
    const target = { baseUrl: baseUrl(), apiKey: t.apiKey, articleIds: catalog.articleIds, searchTerms: catalog.searchTerms, customerTokens: await Promise.all(customers.map((c) => t.customerToken(c))) };

    const step = await runStep(target, 8, SECONDS * 1000, 7);
    expect(step.errorSamples).toEqual([]);
    expect(step.errors).toBe(0);
    expect(step.requests).toBeGreaterThanOrEqual(20);
    expect(step.byKind.search.n).toBeGreaterThan(step.byKind.details.n);
    expect(step.byKind.details.n).toBeGreaterThan(0);
    expect(step.acceptedOrders.length).toBeGreaterThan(0);
    let account = accountOrders(t.erp, step.acceptedOrders);
    await waitUntil(() => (account = accountOrders(t.erp, step.acceptedOrders)).missing === 0, 30_000, "every accepted order in the ERP");
    expect(account).toMatchObject({ missing: 0, duplicated: 0, inErp: step.acceptedOrders.length });
    recordScenario({
      suite: "load", name: `CI slice: mix at concurrency 8 for ${SECONDS} s`, passed: true, lostOrders: 0, duplicatedOrders: 0, hungRequests: 0,
      figures: { requests: step.requests, rps: Number(step.rps.toFixed(1)), errors: 0, p50: Number(step.latency.p50.toFixed(1)), p99: Number(step.latency.p99.toFixed(1)), orders: step.acceptedOrders.length },
    });
  });
});
