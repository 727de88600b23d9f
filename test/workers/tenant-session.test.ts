import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { TenantSession } from "../../durable-objects/tenant-session.ts";
import { call, createTenantWithKey } from "./helpers.ts";

describe("TenantSession", () => {
  it("is reachable from the Worker through its binding, one object per tenant", async () => {
    const a = await createTenantWithKey();
    const b = await createTenantWithKey();
    const first = (await (await call("/v1/session", { headers: { authorization: `Bearer ${a.key}` } })).json()) as { session: { tenantId: string; calls: number } };
    const second = (await (await call("/v1/session", { headers: { authorization: `Bearer ${a.key}` } })).json()) as { session: { calls: number } };
    const other = (await (await call("/v1/session", { headers: { authorization: `Bearer ${b.key}` } })).json()) as { session: { tenantId: string; calls: number } };
    expect(first.session.tenantId).toBe(a.tenantId);
    expect(second.session.calls).toBe(first.session.calls + 1);
    expect(other.session).toMatchObject({ tenantId: b.tenantId, calls: 1 });
  });

  it("keeps its state in SQLite across eviction", async () => {
    const stub = env.TENANT_SESSION.get(env.TENANT_SESSION.idFromName("evict-me"));
    await stub.info("evict-me");
    await evictDurableObject(stub);
    const after = await stub.info("evict-me");
    expect(after.calls).toBe(2);
    const rows = await runInDurableObject(stub, (_instance: TenantSession, state) => state.storage.sql.exec("SELECT count(*) AS n FROM meta").one());
    expect(Number(rows.n)).toBeGreaterThan(0);
  });

  it("refuses to serve a tenant other than the one it was created for", async () => {
    const stub = env.TENANT_SESSION.get(env.TENANT_SESSION.idFromName("owner"));
    await stub.info("owner");
    await expect(runInDurableObject(stub, (instance: TenantSession) => instance.info("intruder"))).rejects.toThrow(/addressed as 'intruder'/);
  });
});
