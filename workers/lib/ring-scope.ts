import { type SQL, eq, sql } from "drizzle-orm";
import { ROLLOUT_RINGS, type RolloutRing, auditLog, tenants } from "../../schema/index.ts";
import { DEFAULT_RING } from "../router/rings.ts";

/**
 * Which tenants a Worker reports on in its ops views (/metrics, /v1/admin/overview). A ring
 * Worker can only read the TenantSessions of its own Durable Object namespace, so it reports
 * its own ring's tenants, and their Postgres figures too (sync runs, audit errors): the router
 * merges the rings' answers, and one owner per tenant means nothing is counted twice. The
 * top-level "dev" script (local stack, tests) serves every tenant and reports them all.
 */
export function reportedRing(env: { ROLLOUT_RING: string }): RolloutRing | null {
  return (ROLLOUT_RINGS as readonly string[]).includes(env.ROLLOUT_RING) ? (env.ROLLOUT_RING as RolloutRing) : null;
}

/** The tenants this Worker reports on (undefined: all of them). */
export function reportedTenants(env: { ROLLOUT_RING: string }): SQL | undefined {
  const ring = reportedRing(env);
  return ring ? eq(tenants.rolloutRing, ring) : undefined;
}

/**
 * Audit entries this Worker reports: those of its tenants; entries without a known tenant
 * (platform actions, made-up tenant ids) belong to the default ring, where the router sends
 * requests that name no tenant it knows.
 */
export function reportedAuditEntries(env: { ROLLOUT_RING: string }): SQL | undefined {
  const ring = reportedRing(env);
  if (!ring) return undefined;
  return sql`COALESCE((SELECT t.rollout_ring FROM ${tenants} t WHERE t.tenant_id = ${auditLog.tenantId}), ${DEFAULT_RING}) = ${ring}`;
}
