import { describe, expect, it } from "vitest";
import { TEST_ADMIN_TOKEN } from "./constants.ts";
import { call, uniqueTenantId } from "./helpers.ts";

interface Entry {
  eventId: string;
  tenantId: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  requestId: string;
  details: Record<string, unknown>;
}

const FROM = { "cf-connecting-ip": "203.0.113.7", "user-agent": "ops-cli/1.0", "x-admin-actor": "alice" };

function adminCall(path: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return call(`/v1/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...FROM, ...(body !== undefined && { "content-type": "application/json" }), ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

async function entriesOf(tenantId: string): Promise<Entry[]> {
  const res = await adminCall(`/audit?tenantId=${tenantId}&limit=100`, "GET");
  expect(res.status).toBe(200);
  return ((await res.json()) as { entries: Entry[] }).entries;
}

async function sha12(s: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 12);
}

describe("audit log of admin actions", () => {
  it("leaves exactly one entry per mutation with who, what, when and from where", async () => {
    const tenantId = uniqueTenantId("aud");
    const before = Date.now();
    const steps: { res: Response; action: string; method: string; route: string; status: number }[] = [];
    const step = async (action: string, method: string, route: string, path: string, body?: unknown) => {
      const res = await adminCall(path, method, body);
      steps.push({ res, action, method, route, status: res.status });
      return res;
    };
    await step("tenant.create", "POST", "/v1/admin/tenants", "/tenants", { tenantId, name: "Audit GmbH" });
    await step("tenant.update", "PATCH", "/v1/admin/tenants/:tenantId", `/tenants/${tenantId}`, { rolloutRing: "canary" });
    const key = (await (await step("api_key.issue", "POST", "/v1/admin/tenants/:tenantId/api-keys", `/tenants/${tenantId}/api-keys`, {})).json()) as { keyId: string };
    await step("api_key.revoke", "DELETE", "/v1/admin/tenants/:tenantId/api-keys/:credentialId", `/tenants/${tenantId}/api-keys/${key.keyId}`);
    // A failed mutation (already revoked: 404) is logged with its outcome too.
    await step("delete /v1/admin/tenants/:tenantId/api-keys/:credentialId", "DELETE", "/v1/admin/tenants/:tenantId/api-keys/:credentialId", `/tenants/${tenantId}/api-keys/${key.keyId}`);
    // Reads leave nothing.
    await adminCall(`/tenants/${tenantId}`, "GET");

    const entries = (await entriesOf(tenantId)).reverse();
    expect(entries.map((e) => e.action)).toEqual(steps.map((s) => s.action));
    const fingerprint = await sha12(TEST_ADMIN_TOKEN);
    for (const [i, e] of entries.entries()) {
      const s = steps[i]!;
      expect(e.requestId).toBe(s.res.headers.get("x-request-id"));
      expect(e.actor).toBe(`alice (token:${fingerprint})`);
      expect(e.actor).not.toContain(TEST_ADMIN_TOKEN);
      expect(e.details).toMatchObject({ method: s.method, route: s.route, status: s.status, ip: "203.0.113.7", userAgent: "ops-cli/1.0", actorName: "alice", via: "token" });
      expect(e.details.outcome).toBe(s.status < 400 ? "ok" : "failed");
      expect(Date.parse(e.at)).toBeGreaterThanOrEqual(before - 5_000);
    }
    expect(steps.map((s) => s.status)).toEqual([201, 200, 201, 200, 404]);
    expect(entries[2]!.target).toBe(key.keyId);
  });

  it("logs refused attempts: a wrong token, no token, and a session cookie on a mutation", async () => {
    const tenantId = uniqueTenantId("aud");
    const wrong = "not-the-admin-token-but-long-enough";
    const refused = await call(`/v1/admin/tenants/${tenantId}`, { method: "PATCH", headers: { authorization: `Bearer ${wrong}`, "x-forwarded-for": "198.51.100.9, 10.0.0.1", "content-type": "application/json" }, body: "{}" });
    expect(refused.status).toBe(401);
    const anonymous = await call(`/v1/admin/tenants/${tenantId}/sync`, { method: "POST" });
    expect(anonymous.status).toBe(401);
    const entries = (await entriesOf(tenantId)).reverse();
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ actor: `refused token:${await sha12(wrong)}`, requestId: refused.headers.get("x-request-id") });
    expect(entries[0]!.details).toMatchObject({ method: "PATCH", status: 401, outcome: "refused", ip: "198.51.100.9", via: "none" });
    expect(entries[1]).toMatchObject({ actor: "anonymous" });
    expect(entries[1]!.details).toMatchObject({ method: "POST", path: `/v1/admin/tenants/${tenantId}/sync`, status: 401, outcome: "refused" });
  });

  it("pages the log with a cursor and validates the query", async () => {
    const tenantId = uniqueTenantId("aud");
    await adminCall("/tenants", "POST", { tenantId, name: "Pager" });
    for (let i = 0; i < 3; i++) await adminCall(`/tenants/${tenantId}`, "PATCH", { name: `Pager ${i}` });
    const first = (await (await adminCall(`/audit?tenantId=${tenantId}&limit=3`, "GET")).json()) as { entries: Entry[]; nextCursor: string };
    expect(first.entries).toHaveLength(3);
    const second = (await (await adminCall(`/audit?tenantId=${tenantId}&limit=3&cursor=${first.nextCursor}`, "GET")).json()) as { entries: Entry[]; nextCursor: string | null };
    expect(second.entries.map((e) => e.action)).toEqual(["tenant.create"]);
    expect(second.nextCursor).toBeNull();
    expect((await adminCall(`/audit?limit=0`, "GET")).status).toBe(400);
    expect((await adminCall(`/audit?cursor=abc`, "GET")).status).toBe(400);
    expect((await call(`/v1/admin/audit`)).status).toBe(401);
  });
});
