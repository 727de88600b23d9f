import type { RolloutRing } from "../../schema/tenants.ts";
import { AppError } from "../errors.ts";

/**
 * Publishes a tenant's ring to the TENANT_RINGS KV namespace the router reads (the database
 * stays the source of truth; KV is the router's copy, so it never needs a database). Called
 * after the database change commits; a failed write is a retryable 503 (the admin call is
 * idempotent: repeating it publishes again).
 */
export async function publishRing(env: Env, tenantId: string, ring: RolloutRing): Promise<void> {
  try {
    await env.TENANT_RINGS.put(tenantId, ring);
  } catch (err) {
    throw new AppError(503, "internal", `Tenant '${tenantId}' saved, but its ring could not be published to the router (${String(err).slice(0, 120)}); repeat the request`, undefined, { "retry-after": "1" });
  }
}
