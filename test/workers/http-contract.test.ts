import { describe, expect, it } from "vitest";
import { TEST_MAX_BODY_BYTES } from "./constants.ts";
import { admin, call, type ErrorEnvelope } from "./helpers.ts";

async function envelope(res: Response): Promise<ErrorEnvelope> {
  expect(res.headers.get("content-type")).toMatch(/application\/json/);
  const body = (await res.json()) as ErrorEnvelope;
  expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
  return body;
}

describe("HTTP contract", () => {
  it("answers liveness without auth and tags every response with a request id", async () => {
    const res = await call("/v1/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("keeps a well-formed caller request id and replaces a hostile one", async () => {
    const kept = await call("/v1/health", { headers: { "x-request-id": "storefront-req-12345" } });
    expect(kept.headers.get("x-request-id")).toBe("storefront-req-12345");
    const replaced = await call("/v1/health", { headers: { "x-request-id": "<script>alert(1)</script>" } });
    expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("checks readiness with a real Postgres round trip", async () => {
    const res = await call("/v1/ready");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; database: { ok: boolean; serverTime: string } };
    expect(body.status).toBe("ready");
    expect(Math.abs(Date.parse(body.database.serverTime) - Date.now())).toBeLessThan(24 * 3600 * 1000);
  });

  it("returns the 404 envelope for unknown routes", async () => {
    const res = await call("/v1/does-not-exist");
    expect(res.status).toBe(404);
    expect((await envelope(res)).error.code).toBe("not_found");
  });

  it("rejects storefront calls without a key, with a malformed key and with an unknown key", async () => {
    const fake = `b2x_sk_nobody_0123456789abcdef_${"a".repeat(64)}`;
    for (const headers of [{} as Record<string, string>, { authorization: "Bearer not-a-key" }, { authorization: `Bearer ${fake}` }, { authorization: "Basic abc" }]) {
      const res = await call("/v1/catalog/articles", { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
      expect((await envelope(res)).error.code).toBe("unauthorized");
    }
  });

  it("rejects admin calls with a wrong or missing admin token", async () => {
    for (const headers of [{} as Record<string, string>, { authorization: "Bearer wrong-token-wrong-token-wrong" }]) {
      const res = await call("/v1/admin/tenants", { headers });
      expect(res.status).toBe(401);
      expect((await envelope(res)).error.code).toBe("unauthorized");
    }
  });

  it("answers malformed JSON with 400 malformed_json", async () => {
    const res = await call("/v1/admin/tenants", {
      method: "POST",
      headers: { authorization: `Bearer test-admin-token-0123456789abcdef`, "content-type": "application/json" },
      body: '{"tenantId": "x",',
    });
    expect(res.status).toBe(400);
    expect((await envelope(res)).error.code).toBe("malformed_json");
  });

  it("names the zod issue path of an invalid body", async () => {
    const res = await admin("/tenants", "POST", { tenantId: "ok-id", name: "n", config: { cache: { pricesTtlSeconds: 1 } } });
    expect(res.status).toBe(400);
    const body = await envelope(res);
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.issues?.map((i) => i.path)).toContain("config.cache.pricesTtlSeconds");
  });

  it("refuses a non-JSON content type with 415", async () => {
    const res = await call("/v1/admin/tenants", {
      method: "POST",
      headers: { authorization: `Bearer test-admin-token-0123456789abcdef`, "content-type": "text/plain" },
      body: "hello",
    });
    expect(res.status).toBe(415);
    expect((await envelope(res)).error.code).toBe("unsupported_media_type");
  });

  it("refuses a body over the limit with 413, before authentication or parsing", async () => {
    const big = JSON.stringify({ tenantId: "big", name: "x".repeat(TEST_MAX_BODY_BYTES) });
    const res = await call("/v1/admin/tenants", { method: "POST", headers: { "content-type": "application/json" }, body: big });
    expect(res.status).toBe(413);
    expect((await envelope(res)).error.code).toBe("payload_too_large");
  });

  it("rejects an over-long path parameter with 400, not a database error", async () => {
    const res = await admin(`/tenants/${"a".repeat(200)}`);
    expect(res.status).toBe(400);
    expect((await envelope(res)).error.issues?.[0]?.path).toBe("tenantId");
  });
});
