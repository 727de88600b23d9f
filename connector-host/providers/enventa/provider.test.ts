import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ctx, provider, tempErp } from "../../test/helpers.ts";
import { EnventaSession, simStats } from "../../simulator/session.ts";
import type { ErpAttribute, ErpArticle } from "../../simulator/types.ts";
import { DESCRIPTOR_FIELDS, type FilterNode, type QueryDescriptor, evaluateFilter } from "../descriptor.ts";
import { planDescriptor } from "../translate.ts";

const all = (filter?: FilterNode): QueryDescriptor => ({ ...(filter && { filter }), sort: [], pagination: { offset: 0, limit: 100_000 } });

describe("enventa provider", () => {
  it("never triggers a threading violation through the actor; the same calls without it do", async () => {
    const { erp } = tempErp({ articles: 200 });
    erp.setFaults({ perCallMs: 2 });
    const p = provider(erp);
    const ids = Array.from({ length: 50 }, (_, i) => String(1_000_001 + i));
    const before = simStats.threadingViolations;
    const results = await Promise.all(ids.map((id, i) => (i % 2 ? p.getStock(ctx(), [id]) : p.getPrices(ctx(), { customerId: "K10001", items: [{ articleId: id, quantity: 1 }] }))));
    expect(results).toHaveLength(50);
    expect(simStats.threadingViolations - before).toBe(0);

    const raw = new EnventaSession(erp);
    await raw.login({ businessUnit: "01" });
    const rawResults = await Promise.allSettled(ids.map((id) => raw.stock([id])));
    expect(rawResults.filter((r) => r.status === "rejected").length).toBeGreaterThan(0);
    expect(simStats.threadingViolations - before).toBeGreaterThan(0);
  });

  it("batches IN lists: 2,500 ids become three ERP queries and all rows come back", async () => {
    const { erp } = tempErp({ articles: 3000 });
    const p = provider(erp);
    const ids = Array.from({ length: 2500 }, (_, i) => String(1_000_001 + i * 1));
    expect(planDescriptor(all({ field: "articleId", op: "IN", values: ids }))).toHaveLength(3);
    const calls = simStats.calls;
    const rows = await p.getProducts(ctx(), ids);
    expect(simStats.calls - calls).toBe(3);
    expect(rows.map((r) => r.articleId).sort()).toEqual([...ids].sort());
    const stock = await p.getStock(ctx(), ids);
    expect(stock).toHaveLength(2500);
    const prices = await p.getPrices(ctx(), { customerId: "K10001", items: ids.map((articleId) => ({ articleId, quantity: 1 })) });
    expect(prices.prices).toHaveLength(2500);
  });

  it("answers BUSY at once when the BusinessUnit's queue is full", async () => {
    const { erp } = tempErp({ articles: 50 });
    erp.setFaults({ perCallMs: 20 });
    const p = provider(erp, { queueCapacity: 5 });
    await p.warmUp();
    const calls = Array.from({ length: 10 }, () => p.getStock(ctx(), ["1000001"]));
    const settled = await Promise.allSettled(calls);
    const busy = settled.filter((s) => s.status === "rejected" && (s.reason as { code: string }).code === "busy");
    // One runs, five wait, the rest are refused immediately.
    expect(busy).toHaveLength(4);
    expect(settled.filter((s) => s.status === "fulfilled")).toHaveLength(6);
  });

  it("serializes logins when 10 BusinessUnits get their first call at once", async () => {
    const { erp } = tempErp({ articles: 50, loginMs: 25 });
    const units = Array.from({ length: 10 }, (_, i) => `BU${i}`);
    const p = provider(erp, { businessUnits: units });
    const conflicts = simStats.loginConflicts;
    const logins = simStats.logins;
    const t = performance.now();
    const out = await Promise.all(units.map((bu) => p.getCustomer(ctx(bu), "K10001")));
    expect(out.every((c) => c?.customerId === "K10001")).toBe(true);
    expect(simStats.loginConflicts - conflicts).toBe(0);
    expect(simStats.logins - logins).toBe(10);
    // Serialized: ten logins of 25 ms take at least 250 ms in all.
    expect(performance.now() - t).toBeGreaterThanOrEqual(240);
  });

  it("logs in again after the ERP expired an idle session", async () => {
    const { erp } = tempErp({ articles: 50, idleTimeoutMs: 60 });
    const p = provider(erp);
    await p.getCustomer(ctx(), "K10001");
    const logins = p.metrics().logins!;
    await new Promise((r) => setTimeout(r, 100));
    expect((await p.getCustomer(ctx(), "K10002"))?.customerId).toBe("K10002");
    expect(p.metrics().logins).toBe(logins + 1);
  });

  it("keeps its sessions alive with keep-alive pings while they are in use", async () => {
    const { erp } = tempErp({ articles: 50, idleTimeoutMs: 100 });
    const p = provider(erp, { idleReleaseMs: 10_000, keepAliveMs: 30 });
    await p.getCustomer(ctx(), "K10001");
    await new Promise((r) => setTimeout(r, 300));
    await p.getCustomer(ctx(), "K10001");
    expect(p.metrics().logins).toBe(1);
  });

  it("releases sessions after prolonged inactivity", async () => {
    const { erp } = tempErp({ articles: 50, idleTimeoutMs: 10_000 });
    const p = provider(erp, { idleReleaseMs: 120, keepAliveMs: 30 });
    await p.getCustomer(ctx(), "K10001");
    expect(p.metrics().sessions).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(p.metrics().sessions).toBe(0);
    await p.getCustomer(ctx(), "K10001");
    expect(p.metrics().sessions).toBe(1);
  });

  it("puts live calls before queued sync batches", async () => {
    const { erp } = tempErp({ articles: 2000 });
    erp.setFaults({ perCallMs: 5 });
    const p = provider(erp);
    await p.warmUp();
    const order: string[] = [];
    const sync = (async () => {
      for await (const batch of p.streamChanges(ctx(), "articles", 0, 100)) order.push(`sync:${batch.length}`);
    })();
    await new Promise((r) => setTimeout(r, 12));
    await p.getStock(ctx(), ["1000001"]).then(() => order.push("live"));
    await sync;
    expect(order.indexOf("live")).toBeGreaterThan(0);
    expect(order.indexOf("live")).toBeLessThan(order.length - 1);
  });
});

// ---- OR fallback: random filter trees against the reference evaluator -----------------------

const values = { brand: ["Würth", "Bosch", "fischer", "Hilti"], name: ["%schraube%", "%mutter%", "Sechskant%", "%A2"], categoryId: ["K1-01-1", "K1-06-3", "K2-14-2"], listPrice: [1, 3.5, 10] };
const leaf: fc.Arbitrary<FilterNode> = fc.oneof(
  fc.record({ field: fc.constant("brand" as const), op: fc.constantFrom("EQ" as const, "NE" as const), value: fc.constantFrom(...values.brand) }),
  fc.record({ field: fc.constant("name" as const), op: fc.constant("LIKE" as const), value: fc.constantFrom(...values.name) }),
  fc.record({ field: fc.constant("categoryId" as const), op: fc.constantFrom("EQ" as const, "NE" as const), value: fc.constantFrom(...values.categoryId) }),
  fc.record({ field: fc.constant("listPrice" as const), op: fc.constantFrom("GT" as const, "GTE" as const, "LT" as const, "LTE" as const, "EQ" as const), value: fc.constantFrom(...values.listPrice) }),
  fc.record({ field: fc.constant("brand" as const), op: fc.constant("IN" as const), values: fc.subarray(values.brand, { minLength: 1 }) }),
  fc.record({ field: fc.constant("attr:Material" as const), op: fc.constantFrom("EQ" as const, "LIKE" as const), value: fc.constantFrom("Edelstahl A2", "%Stahl%", "Messing") }),
  fc.record({ field: fc.constant("attr:Revision" as const), op: fc.constant("EXISTS" as const) }),
);
const tree: fc.Arbitrary<FilterNode> = fc.letrec<{ node: FilterNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.record({ and: fc.array(tie("node"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ or: fc.array(tie("node"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: tie("node") }),
  ),
})).node;

describe("OR fallback (property)", () => {
  it("random AND/OR/NOT trees give exactly the rows the reference evaluator gives", async () => {
    const { erp } = tempErp({ articles: 400 });
    const p = provider(erp);
    // Give some articles a Revision attribute so EXISTS has both outcomes.
    const { mutate } = await import("../../simulator/mutate.ts");
    mutate(erp, { change: 40, seed: 3 });
    const session = new EnventaSession(erp);
    await session.login({ businessUnit: "01" });
    const articles: ErpArticle[] = [...erp.allArticles()];
    const attributes = await session.attributes(articles.map((a) => a.articleId).slice(0, 1000));
    expect(DESCRIPTOR_FIELDS).toContain("brand");
    await fc.assert(
      fc.asyncProperty(tree, async (filter) => {
        const expected = articles.filter((a) => evaluateFilter(filter, a, attributes.get(a.articleId) ?? ([] as ErpAttribute[]))).map((a) => a.articleId).sort();
        let got: string[];
        try {
          got = (await p.queryCatalog(ctx(), all(filter))).map((a) => a.articleId).sort();
        } catch (err) {
          if ((err as Error).name === "FilterTooComplexError") return true;
          throw err;
        }
        expect(got).toEqual(expected);
        return true;
      }),
      { numRuns: 150, seed: 20261123 },
    );
  });
});
