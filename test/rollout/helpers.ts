import { exports } from "cloudflare:workers";
import { RING_ADMIN_TOKEN } from "./constants.ts";

/** Through the router Worker (the main module under test), as any client would call. */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`http://edge.test${path}`, init));
}

/** An admin call through the router; `ring` addresses one ring directly (as the rollout CLI does). */
export function admin(path: string, method = "GET", body?: unknown, ring?: string): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${RING_ADMIN_TOKEN}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (ring) headers["x-b2x-target-ring"] = ring;
  return call(`/v1/admin${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
}

let counter = 0;
export function uniqueTenantId(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 6)}`;
}

export async function json<T>(res: Response | Promise<Response>): Promise<T> {
  return (await (await res).json()) as T;
}

/** A tenant in `ring` with a storefront key (created through the router: the stable ring writes the row and KV). */
export async function tenantInRing(ring: string, prefix: string, config: Record<string, unknown> = {}): Promise<{ tenantId: string; key: string }> {
  const tenantId = uniqueTenantId(prefix);
  const created = await admin("/tenants", "POST", { tenantId, name: tenantId, rolloutRing: ring, config });
  if (created.status !== 201) throw new Error(`create tenant: ${created.status} ${await created.text()}`);
  const issued = await admin(`/tenants/${tenantId}/api-keys`, "POST", { name: "test" });
  if (issued.status !== 201) throw new Error(`issue key: ${issued.status} ${await issued.text()}`);
  return { tenantId, key: (await json<{ key: string }>(issued)).key };
}
