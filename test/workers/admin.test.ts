import { describe, expect, it } from "vitest";
import { admin, call, createTenantWithKey, type ErrorEnvelope, uniqueTenantId } from "./helpers.ts";

describe("admin API", () => {
  it("creates a tenant with a validated, defaulted config, and refuses a duplicate", async () => {
    const tenantId = uniqueTenantId();
    const res = await admin("/tenants", "POST", { tenantId, name: "Schrauben Müller", rolloutRing: "canary", config: { cache: { pricesTtlSeconds: 120 } } });
    expect(res.status).toBe(201);
    const tenant = (await res.json()) as { rolloutRing: string; configVersion: number; config: { cache: { pricesTtlSeconds: number; stockTtlSeconds: number } } };
    expect(tenant.rolloutRing).toBe("canary");
    expect(tenant.config.cache).toMatchObject({ pricesTtlSeconds: 120, stockTtlSeconds: 30 });
    const again = await admin("/tenants", "POST", { tenantId, name: "again" });
    expect(again.status).toBe(409);
    expect(((await again.json()) as ErrorEnvelope).error.code).toBe("conflict");
  });

  it("updates config and bumps the config version", async () => {
    const { tenantId } = await createTenantWithKey();
    const res = await admin(`/tenants/${tenantId}`, "PATCH", { config: { live: { serveStaleWhenOffline: true } } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { configVersion: number; config: { live: { serveStaleWhenOffline: boolean } } };
    expect(body.configVersion).toBe(2);
    expect(body.config.live.serveStaleWhenOffline).toBe(true);
    expect((await admin("/tenants/no-such-tenant", "PATCH", { name: "x" })).status).toBe(404);
  });

  it("issues a key that authenticates as its tenant, lists it without the secret, and revokes it", async () => {
    const { tenantId, key, keyId } = await createTenantWithKey();
    const ok = await call("/v1/session", { headers: { authorization: `Bearer ${key}` } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { tenantId: string }).tenantId).toBe(tenantId);

    const listed = await (await admin(`/tenants/${tenantId}/api-keys`)).text();
    expect(listed).toContain(keyId);
    expect(listed).not.toContain(key);

    expect((await admin(`/tenants/${tenantId}/api-keys/${keyId}`, "DELETE")).status).toBe(200);
    expect((await call("/v1/session", { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
    expect((await admin(`/tenants/${tenantId}/api-keys/${keyId}`, "DELETE")).status).toBe(404);
  });

  it("stops every key of a disabled tenant", async () => {
    const { tenantId, key } = await createTenantWithKey();
    await admin(`/tenants/${tenantId}`, "PATCH", { disabled: true });
    expect((await call("/v1/catalog/articles", { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
  });

  it("does not accept a key whose tenant part was swapped for another tenant", async () => {
    const a = await createTenantWithKey();
    const b = await createTenantWithKey();
    const forged = a.key.replace(`_${a.tenantId}_`, `_${b.tenantId}_`);
    expect((await call("/v1/session", { headers: { authorization: `Bearer ${forged}` } })).status).toBe(401);
  });

  it("issues connector tokens bound to a connector id, and revokes them", async () => {
    const { tenantId } = await createTenantWithKey();
    const res = await admin(`/tenants/${tenantId}/connector-tokens`, "POST", { connectorId: "werk-1" });
    expect(res.status).toBe(201);
    const { tokenId, token, connectorId } = (await res.json()) as { tokenId: string; token: string; connectorId: string };
    expect(connectorId).toBe("werk-1");
    expect(token).toMatch(new RegExp(`^b2x_ct_${tenantId}_${tokenId}_[0-9a-f]{64}$`));
    expect((await admin(`/tenants/${tenantId}/connector-tokens`, "POST", { connectorId: "bad id!" })).status).toBe(400);
    expect((await admin(`/tenants/${tenantId}/connector-tokens/${tokenId}`, "DELETE")).status).toBe(200);
    const list = (await (await admin(`/tenants/${tenantId}/connector-tokens`)).json()) as { tokens: { revokedAt: string | null }[] };
    expect(list.tokens[0]?.revokedAt).not.toBeNull();
  });

  it("answers 404 for credentials of an unknown tenant", async () => {
    expect((await admin("/tenants/ghost-tenant/api-keys", "POST", {})).status).toBe(404);
  });
});
