import { afterEach, describe, expect, it } from "vitest";
import { simStats } from "../../connector-host/simulator/session.ts";
import type { ErpArticle } from "../../connector-host/simulator/types.ts";
import { adminHttp, http } from "./client.ts";
import { cleanupFixtures, liveTenant, waitUntil } from "./tenant-fixture.ts";

afterEach(cleanupFixtures);

const ids = (n: number, from = 1) => Array.from({ length: n }, (_, i) => String(1_000_000 + from + i));

describe("live prices, stock, customer and orders through the tunnel", () => {
  it("answers prices and stock equal to the simulator's, for the token's customer", async () => {
    const t = await liveTenant();
    await t.startConnector();
    const token = await t.customerToken("K10003");
    const items = ids(20).map((articleId, i) => ({ articleId, quantity: 1 + i * 7 }));
    const res = await t.post("/v1/prices", { items }, token);
    expect(res.status).toBe(200);
    expect(res.body.customerId).toBe("K10003");
    const customer = t.erp.customer("K10003")!;
    for (const [k, item] of items.entries()) {
      const expected = t.erp.price(customer, item.articleId, item.quantity)!;
      expect(res.body.items[k]).toMatchObject({ articleId: item.articleId, status: "ok", unitPrice: expected.unitPrice, listPrice: expected.listPrice, agreement: expected.agreement, stale: false });
    }
    const stock = await t.post("/v1/stock", { articleIds: ids(5) });
    expect(stock.status).toBe(200);
    for (const s of stock.body.items) expect(s.warehouses).toEqual(t.erp.stock(s.articleId)!.warehouses);
    const me = await t.get("/v1/customers/me", token);
    expect(me.body).toMatchObject({ customerId: "K10003", name: customer.name });
  });

  it("reports unknown articles per item and answers the rest", async () => {
    const t = await liveTenant();
    await t.startConnector();
    const res = await t.post("/v1/prices", { items: [{ articleId: "1000001", quantity: 1 }, { articleId: "does-not-exist", quantity: 1 }] }, await t.customerToken("K10001"));
    expect(res.body.items.map((i: { status: string }) => i.status)).toEqual(["ok", "not_found"]);
  });

  it("shows a price change after the connector's event, long before the cache TTL", async () => {
    const t = await liveTenant({ cache: { pricesTtlSeconds: 300 } });
    await t.startConnector();
    const token = await t.customerToken("K10002");
    const ask = async () => (await t.post("/v1/prices", { items: [{ articleId: "1000010", quantity: 1 }] }, token)).body.items[0];
    const before = await ask();
    expect((await ask()).source).toBe("cache");
    const article = t.erp.article("1000010") as ErpArticle;
    t.erp.transaction(() => t.erp.putOverlay("articles", "1000010", { ...article, listPrice: article.listPrice * 2 + 1 }, new Date().toISOString()));
    await waitUntil(async () => (await ask()).listPrice !== before.listPrice, 10_000, "new price after event");
    expect((await ask()).listPrice).toBe(article.listPrice * 2 + 1);
  });

  it("fails fast with 503 connector_offline when no connector is up", async () => {
    const t = await liveTenant({ live: { callDeadlineMs: 5_000 } });
    const started = Date.now();
    const res = await t.post("/v1/prices", { items: [{ articleId: "1000001", quantity: 1 }] }, await t.customerToken("K10001"));
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("connector_offline");
    expect(res.headers.get("retry-after")).toBeTruthy();
    // Not a timeout: far less than the 5 s call deadline.
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it("answers 503 busy with Retry-After when the tenant's ERP queue is full", async () => {
    const t = await liveTenant({ live: { queueCapacity: 2, coalesce: false } });
    await t.startConnector();
    t.erp.setFaults({ perCallMs: 300 });
    const results = await Promise.all(ids(8, 300).map((id) => t.post("/v1/stock", { articleIds: [id] })));
    const busy = results.filter((r) => r.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    for (const r of busy) {
      expect(r.body.error.code).toBe("busy");
      expect(r.headers.get("retry-after")).toBe("1");
    }
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(3);
  });

  it("serves the last known customer price, marked stale, when the tenant allows it", async () => {
    const t = await liveTenant({ live: { serveStaleWhenOffline: true, maxStaleSeconds: 600 }, cache: { pricesTtlSeconds: 30 } });
    const connector = await t.startConnector();
    const token = await t.customerToken("K10004");
    const fresh = await t.post("/v1/prices", { items: [{ articleId: "1000005", quantity: 10 }, { articleId: "1000006", quantity: 1 }] }, token);
    expect(fresh.body.items[0].stale).toBe(false);
    await connector.stop();
    await waitUntil(async () => !(await adminHttp(`/tenants/${t.tenantId}/connectors`)).body.connectors.some((c: { connected: boolean }) => c.connected));
    // Invalidate the cache entries the way an ERP event would, so the DO must ask the ERP.
    const stale = await t.post("/v1/prices", { items: [{ articleId: "1000005", quantity: 10 }, { articleId: "1000099", quantity: 1 }] }, token);
    expect(stale.status).toBe(200);
    expect(stale.body.items[0]).toMatchObject({ status: "ok", unitPrice: fresh.body.items[0].unitPrice });
    expect(stale.body.items[1]).toMatchObject({ status: "unavailable" });
    const other = await t.post("/v1/prices", { items: [{ articleId: "1000005", quantity: 10 }] }, await t.customerToken("K10005"));
    expect(other.status).toBe(503); // never another customer's price
  });

  it("coalesces 100 concurrent price requests into far fewer ERP calls, with no threading violation", async () => {
    const t = await liveTenant({}, { articles: 2000 });
    await t.startConnector();
    t.erp.setFaults({ perCallMs: 20 });
    const token = await t.customerToken("K10007");
    const violations = simStats.threadingViolations;
    const calls = simStats.calls;
    const responses = await Promise.all(ids(100, 100).map((articleId) => t.post("/v1/prices", { items: [{ articleId, quantity: 3 }] }, token)));
    const bad = responses.filter((r) => r.status !== 200 || r.body.items[0].status !== "ok");
    expect(bad.map((r) => JSON.stringify(r.body)).slice(0, 3)).toEqual([]);
    const erpCalls = simStats.calls - calls;
    expect(erpCalls).toBeLessThan(25);
    expect(simStats.threadingViolations - violations).toBe(0);
  });

  it("keeps serving safe calls from the other replica when one is killed under load", async () => {
    const t = await liveTenant({}, { articles: 3000 });
    const a = await t.startConnector("werk-a");
    await t.startConnector("werk-b");
    t.erp.setFaults({ perCallMs: 5 });
    const presence = await adminHttp(`/tenants/${t.tenantId}/connectors`);
    expect(presence.body.connectors.filter((c: { connected: boolean }) => c.connected).map((c: { connectorId: string }) => c.connectorId).sort()).toEqual(["werk-a", "werk-b"]);
    const load = Promise.all(ids(150, 200).map((id, i) => new Promise((r) => setTimeout(r, i * 4)).then(() => t.post("/v1/stock", { articleIds: [id] }))));
    await new Promise((r) => setTimeout(r, 150));
    a.client.kill();
    const results = await load;
    expect(results.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
  });

  it("gives a caller a clear error, never a hang, when the DO restarts or the connector reconnects mid-call", async () => {
    const t = await liveTenant({ live: { callDeadlineMs: 4_000 } });
    const c = await t.startConnector();
    t.erp.setFaults({ perCallMs: 600 });
    const token = await t.customerToken("K10001");
    const inFlight = t.post("/v1/prices", { items: [{ articleId: "1000020", quantity: 1 }] }, token);
    await new Promise((r) => setTimeout(r, 150));
    await adminHttp(`/tenants/${t.tenantId}/session/reset`, { method: "POST" });
    const r1 = await inFlight;
    expect([200, 503]).toContain(r1.status);
    if (r1.status === 503) expect(r1.body.error.code).toMatch(/session_unavailable|connector_/);

    await waitUntil(async () => (await adminHttp(`/tenants/${t.tenantId}/connectors`)).body.connectors.some((x: { connected: boolean }) => x.connected));
    const second = t.post("/v1/prices", { items: [{ articleId: "1000021", quantity: 1 }] }, token);
    await new Promise((r) => setTimeout(r, 150));
    c.client.dropConnection();
    const r2 = await second;
    expect([200, 503]).toContain(r2.status);
    if (r2.status === 503) expect(r2.body.error.code).toMatch(/connector_/);
  });
});

describe("tenant isolation and bad input on live routes", () => {
  it("keeps connectors, customer tokens and customers apart", async () => {
    const a = await liveTenant();
    const b = await liveTenant();
    await a.startConnector();
    // A's connector is online; B has none, so B's live calls cannot reach A's ERP.
    const bRes = await b.post("/v1/stock", { articleIds: ["1000001"] });
    expect(bRes.status).toBe(503);
    expect(bRes.body.error.code).toBe("connector_offline");
    // A customer token signed by A is rejected by B.
    const aToken = await a.customerToken("K10001");
    expect((await b.post("/v1/prices", { items: [{ articleId: "1000001", quantity: 1 }] }, aToken)).status).toBe(401);
    // The customer is the token's subject; a body cannot name another one.
    const spoof = await a.post("/v1/prices", { customerId: "K10002", items: [{ articleId: "1000001", quantity: 1 }] }, aToken);
    expect(spoof.status).toBe(400);
  });

  it("rejects malformed, expired and foreign-key customer tokens, and oversized requests", async () => {
    const t = await liveTenant();
    const body = { items: [{ articleId: "1000001", quantity: 1 }] };
    expect((await t.post("/v1/prices", body)).status).toBe(401);
    expect((await t.post("/v1/prices", body, "not.a.jwt")).status).toBe(401);
    expect((await t.post("/v1/prices", body, await t.customerToken("K10001", { expiresIn: "-10m" }))).body.error.message).toMatch(/expired/);
    const other = await liveTenant();
    expect((await t.post("/v1/prices", body, await t.customerToken("K10001", { key: other.privateJwk }))).status).toBe(401);
    const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(`{"sub":"K10001","iss":"${t.tenantId}","exp":${Math.floor(Date.now() / 1000) + 600}}`).toString("base64url")}.`;
    expect((await t.post("/v1/prices", body, unsigned)).status).toBe(401);
    const tooMany = await t.post("/v1/prices", { items: ids(1001).map((articleId) => ({ articleId, quantity: 1 })) }, await t.customerToken("K10001"));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.issues[0].path).toBe("items");
  });

  it("answers garbage frames from a connector with an error frame and stays healthy", async () => {
    const t = await liveTenant();
    await t.startConnector();
    const token = await t.connectorToken("werk-x");
    const { WebSocket } = await import("ws");
    const ws = new WebSocket(`${(await import("vitest")).inject("baseUrl").replace("http", "ws")}/v1/connector/connect`, { headers: { authorization: `Bearer ${token}` } });
    const replies: Buffer[] = [];
    ws.on("message", (d: Buffer) => replies.push(d));
    await new Promise((r) => ws.once("open", r));
    ws.send(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0xff, 0xff]));
    ws.send("hello?");
    await waitUntil(() => replies.length >= 2, 5_000, "error frames");
    const { decodeFrame } = await import("../../proto/tunnel.ts");
    expect(replies.map((r) => decodeFrame(new Uint8Array(r)).body.case)).toEqual(["error", "error"]);
    ws.close();
    const ok = await t.post("/v1/stock", { articleIds: ["1000001"] });
    expect(ok.status).toBe(200);
    // A revoked or foreign connector token never reaches the DO.
    const foreign = new WebSocket(`${(await import("vitest")).inject("baseUrl").replace("http", "ws")}/v1/connector/connect`, { headers: { authorization: `Bearer b2x_ct_${t.tenantId}_0123456789abcdef_${"0".repeat(64)}` } });
    const status = await new Promise<number>((resolve) => {
      foreign.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      foreign.once("open", () => resolve(101));
      foreign.once("error", () => {});
    });
    expect(status).toBe(401);
  });

  it("exposes per-tenant metrics with the ADR's names", async () => {
    const t = await liveTenant();
    await t.startConnector();
    const token = await t.customerToken("K10001");
    await t.post("/v1/prices", { items: [{ articleId: "1000001", quantity: 1 }] }, token);
    await t.post("/v1/prices", { items: [{ articleId: "1000001", quantity: 1 }] }, token);
    const metrics = await http("/metrics", { token: (await import("vitest")).inject("adminToken") });
    expect(metrics.status).toBe(200);
    const text = String(metrics.body);
    expect(text).toContain(`erp_provider_requests_total{operation="erp.prices",tenant="${t.tenantId}",status="success"} 1`);
    expect(text).toMatch(new RegExp(`erp_provider_request_duration_seconds_count\\{operation="erp.prices",tenant="${t.tenantId}"\\} 1`));
    expect(text).toContain(`erp_provider_cache_hit_ratio{provider="enventa",tenant="${t.tenantId}"} 0.5`);
  });
});
