import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import pg from "pg";
import { afterEach, describe, expect, inject, it } from "vitest";
import { CatalogService, Operator } from "../../proto/gen/b2x/storefront/v1/catalog_pb.ts";
import { ItemStatus, LiveService } from "../../proto/gen/b2x/storefront/v1/live_pb.ts";
import { adminHttp } from "./client.ts";
import { cleanupFixtures, liveTenant, waitUntil } from "./tenant-fixture.ts";

afterEach(cleanupFixtures);

function client(apiKey: string, customerToken?: string, useBinaryFormat = false) {
  const transport = createConnectTransport({
    baseUrl: inject("baseUrl"),
    useBinaryFormat,
    interceptors: [
      (next) => (req) => {
        req.header.set("authorization", `Bearer ${apiKey}`);
        if (customerToken) req.header.set("x-customer-token", customerToken);
        return next(req);
      },
    ],
  });
  return createClient(LiveService, transport);
}

describe("b2x.storefront.v1.LiveService over Connect", () => {
  it("answers the same prices, stock and customer as REST, in JSON and binary", async () => {
    const t = await liveTenant();
    await t.startConnector();
    const token = await t.customerToken("K10006");
    const items = [{ articleId: "1000003", quantity: 12 }, { articleId: "nope", quantity: 1 }];
    const rest = await t.post("/v1/prices", { items }, token);
    for (const binary of [false, true]) {
      const live = client(t.apiKey, token, binary);
      const prices = await live.getPrices({ items });
      expect(prices.customerId).toBe("K10006");
      expect(prices.items[0]).toMatchObject({ articleId: "1000003", status: ItemStatus.OK, unitPrice: rest.body.items[0].unitPrice, listPrice: rest.body.items[0].listPrice });
      expect(prices.items[1]!.status).toBe(ItemStatus.NOT_FOUND);
      const stock = await live.getStock({ articleIds: ["1000003"] });
      expect(stock.items[0]!.warehouses.map((w) => w.quantity)).toEqual(t.erp.stock("1000003")!.warehouses.map((w) => w.quantity));
      expect((await live.getCustomer({})).name).toBe(t.erp.customer("K10006")!.name);
    }
  });

  it("maps failures to Connect codes", async () => {
    const t = await liveTenant();
    const token = await t.customerToken("K10001");
    await expect(client(t.apiKey).getPrices({ items: [{ articleId: "1000001", quantity: 1 }] })).rejects.toMatchObject({ code: Code.Unauthenticated });
    const offline = await client(t.apiKey, token).getStock({ articleIds: ["1000001"] }).catch((e: unknown) => e as ConnectError);
    expect((offline as ConnectError).code).toBe(Code.Unavailable);
    expect((offline as ConnectError).rawMessage).toMatch(/^connector_offline/);
    await expect(client(t.apiKey, token).getStock({ articleIds: [] })).rejects.toMatchObject({ code: Code.InvalidArgument });
    await expect(client("b2x_sk_x_0123456789abcdef_" + "0".repeat(64), token).getStock({ articleIds: ["1"] })).rejects.toMatchObject({ code: Code.Unauthenticated });
  });
});

describe("LiveService.CreateOrder over Connect", () => {
  it("places an order once per idempotency key and reports its status like REST", async () => {
    const t = await liveTenant();
    const db = new pg.Client({ connectionString: inject("stackDatabaseUrl") });
    await db.connect();
    await db.query(`INSERT INTO articles (tenant_id, article_id, rowversion, article_number, name) VALUES ($1, '1000030', 1, 'SW-30', 'Schraube')`, [t.tenantId]);
    await db.end();
    await t.startConnector();
    const token = await t.customerToken("K10030");
    const request = {
      idempotencyKey: "connect-order-1",
      lines: [{ articleId: "1000030", quantity: 6 }],
      deliveryAddress: { name: "Kunde KG", street: "Hauptstraße 1", postalCode: "10115", city: "Berlin", country: "DE" },
      customerReference: "PO-1",
    };
    for (const binary of [false, true]) {
      const live = client(t.apiKey, token, binary);
      const created = await live.createOrder(request);
      expect(created).toMatchObject({ status: "created", customerReference: "PO-1", rejectReason: "" });
      expect(created.erpOrderNo).toBe(t.erp.sql.prepare("SELECT order_no FROM orders").all().map((r) => (r as { order_no: string }).order_no)[0]);
      // The second round (binary) is a replay of the first: same order.
      expect(created.replayed).toBe(binary);
      const status = await live.getOrderStatus({ orderId: created.orderId });
      expect(status).toMatchObject({ orderId: created.orderId, orderNo: created.erpOrderNo, status: "created", stale: false });
    }
    expect(t.erp.sql.prepare("SELECT count(*) AS n FROM orders").get()).toEqual({ n: 1 });
    const live = client(t.apiKey, token);
    await expect(live.createOrder({ ...request, idempotencyKey: "" })).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringMatching(/^idempotency_key_required/) });
    await expect(live.createOrder({ ...request, lines: [{ articleId: "1000030", quantity: 7 }] })).rejects.toMatchObject({ code: Code.FailedPrecondition, rawMessage: expect.stringMatching(/^idempotency_key_reused/) });
    await expect(live.createOrder({ ...request, idempotencyKey: "connect-order-2", lines: [{ articleId: "1000030", quantity: 0 }] })).rejects.toMatchObject({ code: Code.InvalidArgument });
    const blocked = await client(t.apiKey, await t.customerToken("K10041")).createOrder({ ...request, idempotencyKey: "connect-order-3" });
    expect(blocked).toMatchObject({ status: "rejected", rejectReason: expect.stringMatching(/blocked/) });
  });
});

describe("b2x.storefront.v1.CatalogService over Connect", () => {
  it("searches and reads articles like REST does", { timeout: 120_000 }, async () => {
    const t = await liveTenant({}, { articles: 600 });
    await t.startConnector();
    const start = await adminHttp(`/tenants/${t.tenantId}/sync`, { method: "POST", json: { mode: "full" } });
    await waitUntil(async () => (await adminHttp(`/tenants/${t.tenantId}/sync`)).body.runs.find((r: { runId: string }) => r.runId === start.body.runId)?.status === "succeeded", 90_000);
    const transport = createConnectTransport({ baseUrl: inject("baseUrl"), interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${t.apiKey}`), next(req))] });
    const catalog = createClient(CatalogService, transport);

    const rest = await t.get(`/v1/catalog/search?q=Sechskantschraube&facets=brand&limit=50`);
    const viaConnect = await catalog.search({ q: "Sechskantschraube", facets: ["brand"], limit: 50 });
    expect(viaConnect.total).toBe(rest.body.total);
    expect(viaConnect.items.map((i) => i.articleId)).toEqual(rest.body.items.map((i: { articleId: string }) => i.articleId));
    expect(viaConnect.facets[0]!.values.map((v) => [v.value, v.count])).toEqual(rest.body.facets.brand.map((v: { value: string; count: number }) => [v.value, v.count]));

    const filtered = await catalog.search({
      filter: { node: { case: "and", value: { nodes: [
        { node: { case: "condition", value: { field: "attr:Material", op: Operator.LIKE, value: { kind: { case: "text", value: "Edelstahl%" } } } } },
        { node: { case: "not", value: { node: { case: "condition", value: { field: "brand", op: Operator.EQ, value: { kind: { case: "text", value: "Würth" } } } } } } },
      ] } } },
      limit: 1000,
    });
    const restFiltered = await t.post("/v1/catalog/query", { filter: { and: [{ field: "attr:Material", op: "LIKE", value: "Edelstahl%" }, { not: { field: "brand", op: "EQ", value: "Würth" } }] }, limit: 1000 });
    expect(filtered.items.map((i) => i.articleId)).toEqual(restFiltered.body.items.map((i: { articleId: string }) => i.articleId));
    expect(filtered.total).toBeGreaterThan(0);

    const article = await catalog.getArticle({ articleId: "1000001" });
    const restArticle = await t.get("/v1/catalog/articles/1000001");
    expect(article.name).toBe(restArticle.body.name);
    expect(article.media.map((m) => m.url)).toEqual(restArticle.body.media.map((m: { url: string }) => m.url));
    expect(Object.keys(article.attributes)).toHaveLength(20);
    await expect(catalog.getArticle({ articleId: "nope" })).rejects.toMatchObject({ code: Code.NotFound });
    await expect(catalog.search({ filter: { node: { case: "condition", value: { field: "password", op: Operator.EQ, value: { kind: { case: "text", value: "x" } } } } } })).rejects.toMatchObject({ code: Code.InvalidArgument });
  });
});
