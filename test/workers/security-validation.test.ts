import { describe, expect, it } from "vitest";
import { admin, call, createTenantWithKey, type ErrorEnvelope } from "./helpers.ts";

describe("validation: NUL characters are refused at the edge", () => {
  it("answers 400 with the issue path, never a Postgres 500, for a NUL in a body, a query, a path or a key", async () => {
    const body = await admin("/tenants", "POST", { tenantId: "nul-test", name: "Acme\u0000GmbH" });
    expect(body.status).toBe(400);
    const envelope = (await body.json()) as ErrorEnvelope;
    expect(envelope.error.code).toBe("validation_failed");
    expect(envelope.error.issues).toEqual([{ path: "name", message: "must not contain a NUL character" }]);

    const { key } = await createTenantWithKey();
    const auth = { authorization: `Bearer ${key}` };
    for (const path of ["/v1/catalog/articles/%00", "/v1/catalog/articles?cursor=a%00b", "/v1/catalog/search?q=schraube%00"]) {
      const res = await call(path, { headers: auth });
      expect(res.status, path).toBe(400);
    }
    const nested = await call("/v1/catalog/query", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ filter: { field: "brand", op: "EQ", value: "W\u0000rth" } }) });
    expect(nested.status).toBe(400);
    expect(((await nested.json()) as ErrorEnvelope).error.issues?.[0]?.path).toBe("filter.value");
    const keyed = await call("/v1/catalog/query", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: '{"q":"x","\\u0000":1}' });
    expect(keyed.status).toBe(400);
  });
});
