import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { adminHttp, http } from "./client.ts";

describe("local stack: the database path", () => {
  it("reaches a system Postgres through PgBouncer in transaction mode, as production does through Neon's pooler", async (ctx) => {
    if (inject("postgresKind") !== "system") return ctx.skip();
    // CI installs PgBouncer (.ci/run): there the whole suite must run through it.
    if (process.env.CI) expect(inject("pooled")).toBe(true);
    if (!inject("pooled")) return ctx.skip();
    const url = new URL(inject("stackDatabaseUrl"));
    const c = new pg.Client({ connectionString: url.href });
    await c.connect();
    try {
      const { rows } = await c.query<{ port: number }>("SELECT inet_server_port() AS port");
      expect(rows[0]!.port).not.toBe(Number(url.port)); // the URL is the pooler's, the backend is Postgres's
    } finally {
      await c.end();
    }
  });
});

/** The foundation over the real stack: wrangler dev -> Neon driver -> ws proxy -> PGlite. */
describe("local stack: tenants, keys and auth end to end", () => {
  it("creates a tenant, serves it with its key, refuses wrong and revoked keys", async () => {
    const tenantId = `e2e-${Date.now().toString(36)}`;
    const created = await adminHttp("/tenants", { method: "POST", json: { tenantId, name: "E2E Großhandel GmbH" } });
    expect(created.status).toBe(201);
    expect(created.body.tenantId).toBe(tenantId);

    const ready = await http("/v1/ready");
    expect(ready.status).toBe(200);
    expect(ready.body.database.ok).toBe(true);

    const issued = await adminHttp(`/tenants/${tenantId}/api-keys`, { method: "POST", json: { name: "storefront" } });
    expect(issued.status).toBe(201);
    const key: string = issued.body.key;

    const session = await http("/v1/session", { token: key });
    expect(session.status).toBe(200);
    expect(session.body.tenantId).toBe(tenantId);
    expect(session.headers.get("x-request-id")).toBeTruthy();
    const articles = await http("/v1/catalog/articles", { token: key });
    expect(articles.status).toBe(200);
    expect(articles.body.articles).toEqual([]);

    // A wrong key: right format, wrong secret.
    const wrong = key.slice(0, -4) + (key.endsWith("0000") ? "1111" : "0000");
    const denied = await http("/v1/session", { token: wrong });
    expect(denied.status).toBe(401);
    expect(denied.body.error.code).toBe("unauthorized");

    // Another tenant's key, once revoked, opens nothing.
    const otherId = `${tenantId}-b`;
    expect((await adminHttp("/tenants", { method: "POST", json: { tenantId: otherId, name: "Other" } })).status).toBe(201);
    const other = await adminHttp(`/tenants/${otherId}/api-keys`, { method: "POST", json: {} });
    expect((await http("/v1/session", { token: other.body.key })).body.tenantId).toBe(otherId);
    expect((await adminHttp(`/tenants/${otherId}/api-keys/${other.body.keyId}`, { method: "DELETE" })).status).toBe(200);
    const revoked = await http("/v1/session", { token: other.body.key });
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.requestId).toBe(revoked.headers.get("x-request-id"));
  });

  it("answers bad input with the error envelope", async () => {
    const unknown = await http("/v1/nowhere");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("not_found");
    const malformed = await adminHttp("/tenants", { method: "POST", body: "{", headers: { "content-type": "application/json" } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe("malformed_json");
    const tooBig = await adminHttp("/tenants", { method: "POST", json: { tenantId: "big", name: "x".repeat(2 * 1024 * 1024) } });
    expect(tooBig.status).toBe(413);
  });
});
