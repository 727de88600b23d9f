import { exports } from "cloudflare:workers";
import { TEST_ADMIN_TOKEN } from "./constants.ts";

/** Calls the Worker's real fetch handler (the main module), as a storefront or admin would. */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`http://edge.test${path}`, init));
}

export function admin(path: string, method = "GET", body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  return call(`/v1/admin${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
}

let counter = 0;
/** A fresh tenant id per test, so tests never see each other's rows. */
export function uniqueTenantId(prefix = "t"): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 6)}`;
}

export async function createTenantWithKey(tenantId = uniqueTenantId()): Promise<{ tenantId: string; key: string; keyId: string }> {
  const created = await admin("/tenants", "POST", { tenantId, name: `Tenant ${tenantId}` });
  if (created.status !== 201) throw new Error(`create tenant: ${created.status} ${await created.text()}`);
  const issued = await admin(`/tenants/${tenantId}/api-keys`, "POST", { name: "test" });
  if (issued.status !== 201) throw new Error(`issue key: ${issued.status} ${await issued.text()}`);
  const { key, keyId } = (await issued.json()) as { key: string; keyId: string };
  return { tenantId, key, keyId };
}

export interface ErrorEnvelope {
  error: { code: string; message: string; requestId: string; issues?: { path: string; message: string }[] };
}
