import { describe, expect, it } from "vitest";
import { ctx, provider, tempErp } from "../test/helpers.ts";
import { ErpDatabase } from "./store.ts";
import { mutate } from "./mutate.ts";
import { EnventaSession, simStats } from "./session.ts";
import { ArticleQuery } from "./query.ts";
import { parseFixture } from "./fixture.ts";
import { OVERLAY_ROWVERSION_BASE } from "./store.ts";
import type { ErpArticle } from "./types.ts";

async function loggedIn(erp: ErpDatabase, bu = "01"): Promise<EnventaSession> {
  const s = new EnventaSession(erp);
  await s.login({ businessUnit: bu });
  return s;
}

describe("enventa simulator", () => {
  it("generates the same data and rowversions from the same seed", () => {
    const a = tempErp({ seed: 7, articles: 300 }).erp;
    const b = tempErp({ seed: 7, articles: 300 }).erp;
    const c = tempErp({ seed: 8, articles: 300 }).erp;
    for (const entity of ["articles", "attributes", "media", "cross_references", "categories"] as const) {
      expect(JSON.stringify(b.changes(entity, 0, 1000))).toBe(JSON.stringify(a.changes(entity, 0, 1000)));
    }
    expect(JSON.stringify(c.changes("articles", 0, 1000))).not.toBe(JSON.stringify(a.changes("articles", 0, 1000)));
    // Same mutation seed on the same data hits the same articles.
    expect(mutate(a, { change: 10, delete: 3, add: 2, seed: 5 })).toEqual(mutate(b, { change: 10, delete: 3, add: 2, seed: 5 }));
  });

  it("streams 20 attributes per generated article, in rowversion order, resumable by cursor", () => {
    const { erp } = tempErp({ articles: 1000 });
    const first = erp.changes("attributes", 0, 400);
    const rest = erp.changes("attributes", first.at(-1)!.rowversion, 10_000);
    const all = [...first, ...rest];
    expect(all).toHaveLength(1000);
    expect(all.every((c, i) => i === 0 || c.rowversion > all[i - 1]!.rowversion)).toBe(true);
    expect(all.reduce((n, c) => n + (c.row as { items: unknown[] }).items.length, 0)).toBe(20_000);
  });

  it("bumps rowversions on change, adds articles and leaves tombstones for deletions", () => {
    const { erp } = tempErp({ articles: 200 });
    const result = mutate(erp, { change: 5, add: 3, delete: 2, prices: 4, stock: 4, seed: 1 });
    expect(result.changed).toHaveLength(5);
    expect(result.added).toHaveLength(3);
    expect(result.deleted).toHaveLength(2);
    const delta = erp.changes("articles", 200, 1000);
    expect(delta.every((c) => c.rowversion > OVERLAY_ROWVERSION_BASE)).toBe(true);
    const keys = new Set(delta.map((c) => c.key));
    for (const id of [...result.changed, ...result.added, ...result.deleted, ...result.prices]) expect(keys.has(id)).toBe(true);
    for (const id of result.deleted) {
      expect(erp.article(id)).toBeNull();
      expect(delta.find((c) => c.key === id)?.deleted).toBe(true);
    }
    expect(erp.article(result.changed[0]!)!.name).toMatch(/\(Rev\. \d+\)$/);
    // A changed base article no longer appears at its base position.
    const base = erp.changes("articles", 0, 200).filter((c) => c.rowversion <= 200).map((c) => c.key);
    expect(base).not.toContain(result.changed[0]);
  });

  it("shares its data between processes' connections (a second handle sees mutations)", () => {
    const { erp, path } = tempErp({ articles: 100 });
    const other = ErpDatabase.open(path);
    try {
      const before = other.changes("articles", 100, 100).length;
      mutate(erp, { change: 3 });
      expect(other.changes("articles", 100, 100).length).toBe(before + 3);
    } finally {
      other.close();
    }
  });

  it("loads fixture articles instead of or on top of generated ones, and names a bad line", () => {
    const fixture = parseFixture(
      [
        JSON.stringify({ articleId: "FX-1", name: "Edelstahlschraube M8", description: "", brand: "Würth", ean: "4001234567890", categoryIds: ["schrauben"], attributes: { Material: "A2" } }),
        JSON.stringify({ articleId: "FX-2", name: "Mutter M8", categoryIds: [], attributes: {} }),
      ].join("\n"),
    );
    const only = tempErp({ articles: 0 }, fixture).erp;
    expect([...only.allArticles()].map((a) => a.articleId)).toEqual(["FX-1", "FX-2"]);
    const both = tempErp({ articles: 50 }, fixture).erp;
    expect([...both.allArticles()]).toHaveLength(52);
    expect(() => parseFixture('{"articleId":"x","name":"n"}\n{"articleId":"y","name":5}', "f.ndjson")).toThrow("f.ndjson:2: name");
    expect(() => parseFixture("{oops", "f.ndjson")).toThrow("f.ndjson:1: not valid JSON");
  });

  it("detects concurrent use of one session as a threading violation", async () => {
    const { erp } = tempErp({ articles: 50 });
    erp.setFaults({ perCallMs: 5 });
    const s = await loggedIn(erp);
    const before = simStats.threadingViolations;
    const results = await Promise.allSettled([s.stock(["1000001"]), s.stock(["1000002"]), s.ping()]);
    expect(results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(["threading_violation", "threading_violation"]);
    expect(simStats.threadingViolations - before).toBe(2);
  });

  it("fails a concurrent login, expires idle sessions and rejects IN lists over 1,000", async () => {
    const { erp } = tempErp({ articles: 50, loginMs: 30, idleTimeoutMs: 80 });
    const a = new EnventaSession(erp);
    const b = new EnventaSession(erp);
    const logins = await Promise.allSettled([a.login({ businessUnit: "01" }), b.login({ businessUnit: "01" })]);
    expect(logins.map((l) => l.status).sort()).toEqual(["fulfilled", "rejected"]);
    const s = logins[0]!.status === "fulfilled" ? a : b;
    await s.ping();
    await new Promise((r) => setTimeout(r, 120));
    await expect(s.ping()).rejects.toMatchObject({ code: "session_expired" });
    await s.login({ businessUnit: "01" });
    await expect(s.stock(Array.from({ length: 1001 }, (_, i) => String(1_000_001 + i)))).rejects.toMatchObject({ code: "query_error" });
    expect(() => new ArticleQuery().in("articleId", Array.from({ length: 1001 }, (_, i) => i))).toThrow(/exceeds the limit of 1000/);
  });

  it("has no OR in its query builder", () => {
    expect("or" in new ArticleQuery()).toBe(false);
  });

  it("prices per customer with quantity breaks and agreements; stock per warehouse", async () => {
    const { erp } = tempErp({ articles: 500, customers: 50 });
    const s = await loggedIn(erp);
    const ids = Array.from({ length: 200 }, (_, i) => String(1_000_001 + i));
    const { customer, prices } = await s.prices("K10001", ids.map((articleId) => ({ articleId, quantity: 100 })));
    expect(customer?.customerId).toBe("K10001");
    expect(prices).toHaveLength(200);
    expect(prices.some((p) => p.agreement)).toBe(true);
    for (const p of prices) {
      expect(p.quantityBreaks.map((b) => b.minQuantity)).toEqual([1, 10, 100, 1000]);
      expect(p.unitPrice).toBe(p.quantityBreaks[2]!.unitPrice);
    }
    const other = await s.prices("K10002", [{ articleId: ids[0]!, quantity: 1 }]);
    expect(other.prices[0]!.listPrice).toBe(prices[0]!.listPrice);
    const [stock] = await s.stock([ids[0]!]);
    expect(stock!.warehouses.map((w) => w.warehouseId)).toEqual(["W01", "W02", "W03"]);
  });

  it("creates each order once per external reference and stores rejections", async () => {
    const { erp } = tempErp({ articles: 100, customers: 50 });
    const s = await loggedIn(erp);
    const req = { externalRef: "OB-1", customerId: "K10001", lines: [{ articleId: "1000001", quantity: 5 }], deliveryAddress: { city: "Kassel" } };
    const first = await s.createOrder(req);
    const again = await s.createOrder(req);
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, order: { orderNo: first.order.orderNo } });
    const blocked = await s.createOrder({ ...req, externalRef: "OB-2", customerId: "K10041" });
    expect(blocked.order).toMatchObject({ status: "rejected" });
    expect(blocked.order.rejectReason).toMatch(/blocked/);
    const unknown = await s.createOrder({ ...req, externalRef: "OB-3", lines: [{ articleId: "nope", quantity: 1 }] });
    expect(unknown.order.rejectReason).toMatch(/unknown article/);
    expect(mutate(erp, { advanceOrders: 5 }).advancedOrders).toEqual([first.order.orderNo]);
    expect((await s.order({ orderNo: first.order.orderNo }))?.status).toBe("in_progress");
  });

  it("injects errors, latency and dropped connections by configuration", async () => {
    const { erp } = tempErp({ articles: 20 });
    const s = await loggedIn(erp);
    erp.setFaults({ errorRate: 1 });
    await expect(s.ping()).rejects.toMatchObject({ code: "erp_unavailable", retryable: true });
    erp.setFaults({ errorRate: 0, dropRate: 1 });
    await expect(s.ping()).rejects.toMatchObject({ code: "session_expired" });
    expect(s.loggedIn).toBe(false);
    erp.setFaults({ dropRate: 0, perCallMs: 40 });
    await s.login({ businessUnit: "01" });
    const t = performance.now();
    await s.ping();
    expect(performance.now() - t).toBeGreaterThanOrEqual(35);
  });

  it("answers every query through a provider the same way a direct session does", async () => {
    const { erp } = tempErp({ articles: 300 });
    const p = provider(erp);
    const viaProvider = await p.queryCatalog(ctx(), { filter: { field: "name", op: "LIKE", value: "%schraube%" }, sort: [], pagination: { offset: 0, limit: 10_000 } });
    const s = await loggedIn(erp);
    const direct = await s.queryArticles(new ArticleQuery().like("name", "%schraube%").orderBy("articleId"));
    expect(viaProvider.map((a: ErpArticle) => a.articleId)).toEqual(direct.map((a) => a.articleId));
    expect(direct.length).toBeGreaterThan(10);
  });
});
