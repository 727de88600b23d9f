import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CatalogService } from "../../../proto/gen/b2x/storefront/v1/catalog_pb.ts";
import { LiveService } from "../../../proto/gen/b2x/storefront/v1/live_pb.ts";
import { recordScenario } from "../../support/scenario-log.ts";
import { adminHttp, baseUrl } from "../client.ts";
import { cleanupFixtures } from "../tenant-fixture.ts";
import { type Probe, connectCall, probe, tryConnectorUpgrade } from "./probe.ts";
import { type SecuredTenant, address, expectEnvelope, expectNoLeak, secretsOf, twoTenants, soakTimeout, recordFailures } from "./world.ts";

afterAll(cleanupFixtures);
recordFailures();

/**
 * The Worker's Hono app, loaded at run time: a static import would pull the Worker's sources
 * (and their workerd-only types) into the Node typecheck of the tests.
 */
const APP_MODULE = "../../../workers/app.ts";
const { app } = (await import(APP_MODULE)) as { app: { routes: { method: string; path: string }[] } };

/** Every concrete route the Worker serves, Connect services expanded to their methods. */
function servedRoutes(): string[] {
  const out = new Set<string>();
  for (const r of app.routes) {
    if (r.method === "ALL") continue; // middleware mounts
    const service = [LiveService, CatalogService].find((s) => r.path === `/${s.typeName}/:method`);
    if (service) for (const m of service.methods) out.add(`${r.method} /${service.typeName}/${m.name}`);
    else out.add(`${r.method} ${r.path}`);
  }
  return [...out].sort();
}

interface Attack {
  /** The attacker's request (tenant A's credentials, tenant B's identifiers). */
  attack: () => Promise<Probe>;
  /** What the attacker must get. */
  check: (p: Probe) => void;
  /** The same request with B's own credentials: proves the probe targets real data. */
  control?: { run: () => Promise<Probe>; check: (p: Probe) => void };
  sent?: string;
}

const statusIs = (...allowed: number[]) => (p: Probe) => expect(allowed, `status ${p.status}: ${p.text.slice(0, 200)}`).toContain(p.status);

/**
 * One entry per served route. A route missing here fails the test, so a new route cannot ship
 * without its cross-tenant probe.
 */
function attacks(a: SecuredTenant, b: SecuredTenant): Record<string, Attack[]> {
  const A = { token: a.apiKey };
  const B = { token: b.apiKey };
  const adminAttack = (method: string, path: string): Attack[] => {
    const concrete = path.replace(":tenantId", b.tenantId).replace(":credentialId", "0123456789abcdef");
    const json = method === "POST" || method === "PATCH" ? { tenantId: b.tenantId, name: "x", connectorId: "werk-9", mode: "full" } : undefined;
    return [a.apiKey, a.customerTokenValue].map((token) => ({ attack: () => probe(concrete, { method, token, ...(json && { json }) }), check: statusIs(401), sent: concrete }));
  };
  const table: Record<string, Attack[]> = {
    "GET /v1/health": [{ attack: () => probe("/v1/health", A), check: statusIs(200) }],
    "GET /v1/ready": [{ attack: () => probe("/v1/ready", A), check: statusIs(200) }],
    "GET /v1/openapi.json": [{ attack: () => probe("/v1/openapi.json", A), check: statusIs(200) }],
    "GET /metrics": [{ attack: () => probe("/metrics", A), check: statusIs(401) }],
    "GET /v1/connector/connect": [
      { attack: () => tryConnectorUpgrade(`Bearer ${a.apiKey}`), check: statusIs(401) },
      { attack: () => probe("/v1/connector/connect", A), check: statusIs(426) },
    ],
    // The ops page: public assets and a login page; A's API key is not an admin login.
    "GET /ops": [{ attack: () => probe("/ops", A), check: (p) => (statusIs(200)(p), expect(p.text).not.toContain(b.tenantId)) }],
    "GET /ops/app.js": [{ attack: () => probe("/ops/app.js", A), check: statusIs(200) }],
    "GET /ops/app.css": [{ attack: () => probe("/ops/app.css", A), check: statusIs(200) }],
    "POST /ops/login": [{ attack: () => probe("/ops/login", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: baseUrl() }, body: new URLSearchParams({ token: a.apiKey, name: "a" }).toString() }), check: statusIs(401, 403) }],
    "POST /ops/logout": [{ attack: () => probe("/ops/logout", { ...A, method: "POST", headers: { origin: baseUrl() } }), check: statusIs(200, 302, 303, 403) }],
    // Sync batches need a connector token; A's token can only ever name A's own running run
    // (A has none), so nothing reaches B's catalog whatever stream id it sends.
    "POST /v1/connector/sync/ingest": [
      { attack: () => probe("/v1/connector/sync/ingest", { ...A, json: [{ rowversion: 1, key: "X1", deleted: true }], headers: { "x-b2x-sync-stream": "b-stream-0001", "x-b2x-sync-seq": "0" } }), check: statusIs(401) },
      { attack: () => probe("/v1/connector/sync/ingest", { token: a.connectorTokenValue, json: [{ rowversion: 1, key: "X1", deleted: true }], headers: { "x-b2x-sync-stream": "b-stream-0001", "x-b2x-sync-seq": "0" } }), check: statusIs(409) },
    ],
    // Release downloads need a connector token; A's key is refused, A's token gets nothing it is not entitled to.
    "GET /v1/connector/releases/:version/manifest": [
      { attack: () => probe("/v1/connector/releases/1.0.0/manifest", A), check: statusIs(401) },
      { attack: () => probe("/v1/connector/releases/1.0.0/manifest", { token: a.connectorTokenValue }), check: statusIs(404) },
    ],
    "GET /v1/connector/releases/:version/artifact": [
      { attack: () => probe("/v1/connector/releases/1.0.0/artifact", A), check: statusIs(401) },
      { attack: () => probe("/v1/connector/releases/1.0.0/artifact", { token: a.connectorTokenValue }), check: statusIs(404) },
    ],
    "GET /v1/session": [{ attack: () => probe("/v1/session", A), check: (p) => (statusIs(200)(p), expect(p.json.tenantId).toBe(a.tenantId)) }],
    "GET /v1/catalog/search": [{
      attack: () => probe(`/v1/catalog/search?q=${b.marker}`, A), sent: b.marker,
      check: (p) => (statusIs(200)(p), expect(p.json.total).toBe(0)),
      control: { run: () => probe(`/v1/catalog/search?q=${b.marker}`, B), check: (p) => expect(p.json.items.map((i: { articleId: string }) => i.articleId)).toContain(b.ownArticle) },
    }],
    "POST /v1/catalog/query": [{
      attack: () => probe("/v1/catalog/query", { ...A, json: { filter: { field: "articleNumber", op: "EQ", value: `SW-${b.ownArticle}` } } }), sent: b.ownArticle,
      check: (p) => (statusIs(200)(p), expect(p.json.total).toBe(0)),
      control: { run: () => probe("/v1/catalog/query", { ...B, json: { filter: { field: "articleNumber", op: "EQ", value: `SW-${b.ownArticle}` } } }), check: (p) => expect(p.json.total).toBe(1) },
    }],
    "GET /v1/catalog/articles": [{
      attack: () => probe("/v1/catalog/articles?limit=1000", A),
      check: (p) => (statusIs(200)(p), expect(p.json.articles.map((x: { articleId: string }) => x.articleId)).toContain(a.ownArticle)),
      control: { run: () => probe("/v1/catalog/articles?limit=1000", B), check: (p) => expect(p.text).toContain(b.marker) },
    }],
    "GET /v1/catalog/articles/:articleId": [{
      attack: () => probe(`/v1/catalog/articles/${b.ownArticle}?include=price,stock`, { ...A, customer: a.customerTokenValue }), sent: b.ownArticle,
      check: statusIs(404),
      control: { run: () => probe(`/v1/catalog/articles/${b.ownArticle}`, B), check: (p) => expect(p.json.name).toBe(b.marker) },
    }],
    "POST /v1/prices": [
      { attack: () => probe("/v1/prices", { ...A, customer: b.customerTokenValue, json: { items: [{ articleId: "1000001", quantity: 1 }] } }), check: statusIs(401) },
      {
        attack: () => probe("/v1/prices", { ...A, customer: a.customerTokenValue, json: { items: [{ articleId: "1000001", quantity: 1 }] } }),
        check: (p) => {
          statusIs(200)(p);
          const mine = a.erp.price(a.erp.customer(a.customer)!, "1000001", 1)!;
          expect(p.json.items[0]).toMatchObject({ status: "ok", unitPrice: mine.unitPrice, listPrice: mine.listPrice });
        },
      },
    ],
    "POST /v1/stock": [{
      attack: () => probe("/v1/stock", { ...A, json: { articleIds: ["1000001", "1000002", "1000003"] } }),
      check: (p) => (statusIs(200)(p), expect(p.json.items.map((i: { warehouses: unknown }) => i.warehouses)).toEqual(["1000001", "1000002", "1000003"].map((id) => a.erp.stock(id)!.warehouses))),
    }],
    "GET /v1/customers/me": [
      { attack: () => probe("/v1/customers/me", { ...A, customer: b.customerTokenValue }), check: statusIs(401) },
      { attack: () => probe("/v1/customers/me", { ...A, customer: a.customerTokenValue }), check: (p) => (statusIs(200)(p), expect(p.json.name).toBe(a.erp.customer(a.customer)!.name)) },
    ],
    "GET /v1/orders/:orderId": [
      { attack: () => probe(`/v1/orders/${b.orderId}`, { ...A, customer: a.customerTokenValue }), sent: b.orderId, check: statusIs(404), control: { run: () => probe(`/v1/orders/${b.orderId}`, { ...B, customer: b.customerTokenValue }), check: statusIs(200) } },
      { attack: () => probe(`/v1/orders/${b.orderId}`, { ...A, customer: b.customerTokenValue }), sent: b.orderId, check: statusIs(401) },
    ],
    "POST /v1/orders": [
      // B's customer token with A's key: refused before anything is written.
      { attack: () => probe("/v1/orders", { ...A, customer: b.customerTokenValue, headers: { "idempotency-key": randomUUID() }, json: { lines: [{ articleId: "1000001", quantity: 1 }], deliveryAddress: address } }), check: statusIs(401) },
      // A's own customer ordering B's article: B's catalog is invisible to A.
      { attack: () => probe("/v1/orders", { ...A, customer: a.customerTokenValue, headers: { "idempotency-key": randomUUID() }, json: { lines: [{ articleId: b.ownArticle, quantity: 1 }], deliveryAddress: address } }), sent: b.ownArticle, check: (p) => (statusIs(422)(p), expect(p.json.error.code).toBe("unknown_articles")) },
    ],
  };
  const live = (m: string, message: unknown, customer?: string) => connectCall("LiveService", m, message, { ...A, ...(customer && { customer }) });
  const connect: Record<string, Attack[]> = {
    "POST /b2x.storefront.v1.LiveService/GetPrices": [
      { attack: () => live("GetPrices", { items: [{ articleId: "1000001", quantity: 1 }] }, b.customerTokenValue), check: statusIs(401) },
    ],
    "POST /b2x.storefront.v1.LiveService/GetStock": [
      { attack: () => live("GetStock", { articleIds: ["1000001"] }), check: (p) => (statusIs(200)(p), expect(p.json.items[0].warehouses.map((w: { quantity?: number }) => w.quantity ?? 0)).toEqual(a.erp.stock("1000001")!.warehouses.map((w) => w.quantity))) },
    ],
    "POST /b2x.storefront.v1.LiveService/GetCustomer": [{ attack: () => live("GetCustomer", {}, b.customerTokenValue), check: statusIs(401) }],
    "POST /b2x.storefront.v1.LiveService/GetOrderStatus": [
      { attack: () => live("GetOrderStatus", { orderId: b.orderId }, a.customerTokenValue), sent: b.orderId, check: statusIs(404) },
      { attack: () => live("GetOrderStatus", { orderId: b.orderId }, b.customerTokenValue), sent: b.orderId, check: statusIs(401) },
    ],
    "POST /b2x.storefront.v1.LiveService/CreateOrder": [
      { attack: () => live("CreateOrder", { idempotencyKey: randomUUID(), lines: [{ articleId: "1000001", quantity: 1 }], deliveryAddress: address }, b.customerTokenValue), check: statusIs(401) },
      { attack: () => live("CreateOrder", { idempotencyKey: randomUUID(), lines: [{ articleId: b.ownArticle, quantity: 1 }], deliveryAddress: address }, a.customerTokenValue), sent: b.ownArticle, check: statusIs(400) },
    ],
    "POST /b2x.storefront.v1.CatalogService/Search": [{
      attack: () => connectCall("CatalogService", "Search", { q: b.marker }, A), sent: b.marker,
      check: (p) => (statusIs(200)(p), expect(p.json.total ?? 0).toBe(0)),
      control: { run: () => connectCall("CatalogService", "Search", { q: b.marker }, B), check: (p) => expect(p.json.items.map((i: { articleId: string }) => i.articleId)).toContain(b.ownArticle) },
    }],
    "POST /b2x.storefront.v1.CatalogService/GetArticle": [{
      attack: () => connectCall("CatalogService", "GetArticle", { articleId: b.ownArticle }, A), sent: b.ownArticle, check: statusIs(404),
      control: { run: () => connectCall("CatalogService", "GetArticle", { articleId: b.ownArticle }, B), check: (p) => expect(p.text).toContain(b.marker) },
    }],
  };
  Object.assign(table, connect);
  for (const route of servedRoutes()) {
    const [method, path] = route.split(" ") as [string, string];
    if (path.startsWith("/v1/admin")) table[route] = adminAttack(method, path);
  }
  return table;
}

describe("security: nothing of one tenant reaches another, through every route", () => {
  let a: SecuredTenant;
  let b: SecuredTenant;
  beforeAll(async () => ({ a, b } = await twoTenants()), 120_000);

  it("probes every served route with tenant A's credentials against tenant B's data", { timeout: soakTimeout(120_000) }, async () => {
    const routes = servedRoutes();
    const table = attacks(a, b);
    const unprobed = routes.filter((r) => !table[r]);
    expect(unprobed, "routes without a cross-tenant probe: add them to attacks()").toEqual([]);
    expect(Object.keys(table).filter((r) => !routes.includes(r)), "probes of routes that no longer exist").toEqual([]);
    const bOrdersBefore = b.erp.sql.prepare("SELECT count(*) AS n FROM orders").get() as { n: number };
    let tried = 0;
    for (const route of routes) {
      for (const [i, x] of table[route]!.entries()) {
        const what = `${route} #${i + 1}`;
        const p = await x.attack();
        tried++;
        x.check(p);
        expectNoLeak(what, p.status, p.text, secretsOf(b), secretsOf(a), x.sent ?? "");
        if (!route.includes("b2x.storefront") && !route.includes(" /ops")) expectEnvelope(what, p.status, p.json);
        if (x.control) x.control.check(await x.control.run());
      }
    }
    // B's ERP got no order from any of it; B's presence shows only B's own connector.
    expect(b.erp.sql.prepare("SELECT count(*) AS n FROM orders").get()).toEqual(bOrdersBefore);
    const presence = await adminHttp(`/tenants/${b.tenantId}/connectors`);
    expect(presence.body.connectors.map((c: { connectorId: string }) => c.connectorId)).toEqual(["werk-1"]);
    recordScenario({ suite: "security", name: "cross-tenant reads and writes through every route", passed: true, badInputs: tried, lostOrders: 0, duplicatedOrders: 0, figures: { routes: routes.length } });
  });
});
