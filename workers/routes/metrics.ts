import { and, asc, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { METRIC_HEADERS } from "../../durable-objects/metrics.ts";
import { RELEASE_METRIC_HEADERS } from "../../durable-objects/release-metrics.ts";
import { tenants } from "../../schema/index.ts";
import { familiesFromHeaders, renderExposition, sample } from "../metrics/exposition.ts";
import { SYNC_METRIC_HEADERS, syncSamples, syncStats } from "../metrics/sync.ts";
import { reportedTenants } from "../lib/ring-scope.ts";
import { adminAuth } from "../middleware/admin-auth.ts";
import type { AppEnv } from "../types.ts";

const WORKER_METRIC_HEADERS = [
  "# HELP b2x_build_info The Worker version serving this scrape, per rollout ring (version metadata binding).",
  "# TYPE b2x_build_info gauge",
  "# HELP b2x_tenant_info Active tenants and their rollout ring.",
  "# TYPE b2x_tenant_info gauge",
  "# HELP b2x_tenant_session_up Whether the tenant's TenantSession answered this scrape.",
  "# TYPE b2x_tenant_session_up gauge",
];

const FAMILIES = familiesFromHeaders([...WORKER_METRIC_HEADERS, ...METRIC_HEADERS, ...RELEASE_METRIC_HEADERS, ...SYNC_METRIC_HEADERS]);

/**
 * `GET /metrics` (admin): Prometheus text of every active tenant — its TenantSession's calls,
 * cache, queues and connectors, and its sync runs from Postgres — grouped per metric family.
 * A ring Worker reports its own ring's tenants only (see lib/ring-scope.ts); the router merges.
 */
export const metricsRoutes = new Hono<AppEnv>().get("/", adminAuth, async (c) => {
  const db = c.var.db();
  const rows = await db.select({ tenantId: tenants.tenantId, ring: tenants.rolloutRing }).from(tenants).where(and(isNull(tenants.disabledAt), reportedTenants(c.env))).orderBy(asc(tenants.tenantId)).limit(1000);
  const [sessions, sync] = await Promise.all([
    Promise.all(
      rows.map(async ({ tenantId }) => {
        try {
          const lines = await c.env.TENANT_SESSION.get(c.env.TENANT_SESSION.idFromName(tenantId)).metricLines(tenantId);
          return [...lines, sample("b2x_tenant_session_up", { tenant: tenantId }, 1)];
        } catch {
          return [sample("b2x_tenant_session_up", { tenant: tenantId }, 0)];
        }
      }),
    ),
    syncStats(db),
  ]);
  const version = c.env.CF_VERSION_METADATA;
  const samples = [
    sample("b2x_build_info", { ring: c.env.ROLLOUT_RING, version_id: version?.id ?? "", version_tag: version?.tag ?? "" }, 1),
    ...rows.map((r) => sample("b2x_tenant_info", { tenant: r.tenantId, ring: r.ring }, 1)),
    ...sessions.flat(),
    ...syncSamples(sync, new Set(rows.map((r) => r.tenantId))),
  ];
  return c.text(renderExposition(FAMILIES, samples), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
});
