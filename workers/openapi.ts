import { z } from "zod";
import { filterNodeSchema } from "../schema/query-descriptor.ts";
import { tenantConfigSchema } from "../schema/tenant-config.ts";
import { auditQuery } from "./routes/admin/audit.ts";
import { issueKeyBody, issueTokenBody } from "./routes/admin/credentials.ts";
import { startBody } from "./routes/admin/sync.ts";
import { createTenantBody, updateTenantBody } from "./routes/admin/tenants.ts";
import { detailQuery, listQuery, searchQuery } from "./routes/catalog.ts";
import { createOrderSchema } from "../schema/order-request.ts";
import { pricesBody, stockBody } from "./routes/live.ts";
import { searchRequestSchema } from "./search/query.ts";

/**
 * The OpenAPI document of the REST API, generated from the same zod schemas the routes validate
 * with (so it cannot drift from what the server accepts). Built once per isolate.
 */
type Auth = "apiKey" | "apiKey+customer" | "admin" | "none";
interface Route {
  method: "get" | "post" | "patch" | "delete";
  path: string;
  summary: string;
  auth: Auth;
  body?: string;
  query?: z.ZodObject;
  headers?: { name: string; required: boolean; description: string }[];
  ok: number;
  /** Further documented outcomes beside `ok` and the default error. */
  also?: Record<number, string>;
}

const IDEMPOTENCY_KEY = {
  name: "Idempotency-Key",
  required: true,
  description: "A new unique value per order (1-255 visible ASCII). The same key with the same body answers the stored result again (at least 24 h, `Idempotent-Replayed: true`); with another body 422; while the first request runs 409.",
};

const ROUTES: Route[] = [
  { method: "get", path: "/v1/health", summary: "Liveness", auth: "none", ok: 200 },
  { method: "get", path: "/v1/ready", summary: "Readiness: a Postgres round trip through the Neon driver", auth: "none", ok: 200 },
  { method: "get", path: "/v1/catalog/search", summary: "Full-text search with filters (JSON filter tree in `filter`), facets, sort and keyset pages", auth: "apiKey", query: searchQuery, ok: 200 },
  { method: "post", path: "/v1/catalog/query", summary: "Search with a query descriptor body", auth: "apiKey", body: "SearchRequest", ok: 200 },
  { method: "get", path: "/v1/catalog/articles", summary: "Synced articles in keyset pages", auth: "apiKey", query: listQuery, ok: 200 },
  { method: "get", path: "/v1/catalog/articles/{articleId}", summary: "Article details with media, cross-references, category paths; live price/stock with `include`", auth: "apiKey", query: detailQuery, ok: 200 },
  { method: "post", path: "/v1/prices", summary: "Live customer prices (up to 1,000 items)", auth: "apiKey+customer", body: "PricesRequest", ok: 200 },
  { method: "post", path: "/v1/stock", summary: "Live stock per warehouse (up to 1,000 articles)", auth: "apiKey", body: "StockRequest", ok: 200 },
  { method: "get", path: "/v1/customers/me", summary: "The customer of the customer token, from the ERP", auth: "apiKey+customer", ok: 200 },
  {
    method: "post", path: "/v1/orders", summary: "Place an order for the token's customer; created in the ERP exactly once per Idempotency-Key", auth: "apiKey+customer", body: "CreateOrderRequest",
    headers: [IDEMPOTENCY_KEY], ok: 201,
    also: { 202: "Queued: no connector could take it now; delivered when one is back (poll GET /v1/orders/{orderId})", 409: "idempotency_conflict: the key's first request is still running", 422: "order_rejected (the ERP refused it; the body's `order` has the id and reason), unknown_articles, or idempotency_key_reused" },
  },
  { method: "get", path: "/v1/orders/{orderId}", summary: "Order status by the gateway's order id or the ERP order number: queued, rejected, or the ERP's live status (own orders only)", auth: "apiKey+customer", ok: 200 },
  { method: "post", path: "/v1/admin/tenants", summary: "Create a tenant", auth: "admin", body: "CreateTenant", ok: 201 },
  { method: "get", path: "/v1/admin/tenants", summary: "List tenants", auth: "admin", ok: 200 },
  { method: "get", path: "/v1/admin/tenants/{tenantId}", summary: "Read a tenant", auth: "admin", ok: 200 },
  { method: "patch", path: "/v1/admin/tenants/{tenantId}", summary: "Update name, ring, config, disabled", auth: "admin", body: "UpdateTenant", ok: 200 },
  { method: "post", path: "/v1/admin/tenants/{tenantId}/api-keys", summary: "Issue an API key (shown once)", auth: "admin", body: "IssueApiKey", ok: 201 },
  { method: "delete", path: "/v1/admin/tenants/{tenantId}/api-keys/{keyId}", summary: "Revoke an API key", auth: "admin", ok: 200 },
  { method: "post", path: "/v1/admin/tenants/{tenantId}/connector-tokens", summary: "Issue a connector token bound to a connector id", auth: "admin", body: "IssueConnectorToken", ok: 201 },
  { method: "delete", path: "/v1/admin/tenants/{tenantId}/connector-tokens/{tokenId}", summary: "Revoke a connector token", auth: "admin", ok: 200 },
  { method: "get", path: "/v1/admin/tenants/{tenantId}/connectors", summary: "Connector presence, each replica", auth: "admin", ok: 200 },
  { method: "post", path: "/v1/admin/tenants/{tenantId}/sync", summary: "Start a sync run (409 with the running run's id if one is going)", auth: "admin", body: "StartSync", ok: 202 },
  { method: "get", path: "/v1/admin/tenants/{tenantId}/sync", summary: "Sync runs with progress, rate, ETA, errors, lag per entity", auth: "admin", ok: 200 },
  { method: "get", path: "/v1/admin/audit", summary: "The audit log of admin actions, newest first, in keyset pages", auth: "admin", query: auditQuery, ok: 200 },
  { method: "get", path: "/v1/admin/overview", summary: "What the ops page shows: tenants, connectors, live figures, sync runs, recent errors", auth: "admin", ok: 200 },
];

const SECURITY: Record<Auth, Record<string, string[]>[]> = {
  none: [],
  apiKey: [{ apiKey: [] }],
  "apiKey+customer": [{ apiKey: [], customerToken: [] }],
  admin: [{ adminToken: [] }],
};

const errorSchema = {
  type: "object",
  required: ["error"],
  properties: { error: { type: "object", required: ["code", "message", "requestId"], properties: { code: { type: "string" }, message: { type: "string" }, requestId: { type: "string" }, issues: { type: "array", items: { type: "object", properties: { path: { type: "string" }, message: { type: "string" } } } } } } },
};

function components(): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  registry.add(filterNodeSchema, { id: "FilterNode" });
  registry.add(searchRequestSchema, { id: "SearchRequest" });
  registry.add(pricesBody, { id: "PricesRequest" });
  registry.add(stockBody, { id: "StockRequest" });
  registry.add(createOrderSchema, { id: "CreateOrderRequest" });
  registry.add(tenantConfigSchema, { id: "TenantConfig" });
  registry.add(createTenantBody, { id: "CreateTenant" });
  registry.add(updateTenantBody, { id: "UpdateTenant" });
  registry.add(issueKeyBody, { id: "IssueApiKey" });
  registry.add(issueTokenBody, { id: "IssueConnectorToken" });
  registry.add(startBody, { id: "StartSync" });
  const out = z.toJSONSchema(registry, { target: "draft-2020-12", io: "input", unrepresentable: "any", uri: (id) => `#/components/schemas/${id}` });
  return out.schemas as Record<string, unknown>;
}

function parameters(r: Route): unknown[] {
  const params: unknown[] = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
  if (r.query) {
    const js = z.toJSONSchema(r.query, { target: "draft-2020-12", io: "input", unrepresentable: "any" }) as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, schema] of Object.entries(js.properties ?? {})) params.push({ name, in: "query", required: js.required?.includes(name) ?? false, schema });
  }
  for (const h of r.headers ?? []) params.push({ name: h.name, in: "header", required: h.required, description: h.description, schema: { type: "string", minLength: 1, maxLength: 255 } });
  return params;
}

let cached: unknown;
export function openApiDocument(): unknown {
  cached ??= {
    openapi: "3.1.0",
    info: { title: "B2X edge gateway", version: "1.0.0", description: "Storefront, live ERP and admin API of the B2X edge gateway. Errors: { error: { code, message, requestId, issues? } }; every response has x-request-id." },
    components: {
      schemas: { ...components(), Error: errorSchema },
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", description: "Tenant API key (b2x_sk_…); the tenant comes from the key" },
        adminToken: { type: "http", scheme: "bearer", description: "Admin token" },
        customerToken: { type: "apiKey", in: "header", name: "x-customer-token", description: "JWT signed by the tenant; sub = customer id" },
      },
    },
    paths: ROUTES.reduce<Record<string, Record<string, unknown>>>((paths, r) => {
      paths[r.path] ??= {};
      paths[r.path]![r.method] = {
        summary: r.summary,
        security: SECURITY[r.auth],
        parameters: parameters(r),
        ...(r.body && { requestBody: { required: true, content: { "application/json": { schema: { $ref: `#/components/schemas/${r.body}` } } } } }),
        responses: {
          [r.ok]: { description: "OK" },
          ...Object.fromEntries(Object.entries(r.also ?? {}).map(([status, description]) => [status, { description }])),
          default: { description: "Error", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
        },
      };
      return paths;
    }, {}),
  };
  return cached;
}
