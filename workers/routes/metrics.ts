import { asc, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { METRIC_HEADERS } from "../../durable-objects/metrics.ts";
import { RELEASE_METRIC_HEADERS } from "../../durable-objects/release-metrics.ts";
import { tenants } from "../../schema/index.ts";
import { adminAuth } from "../middleware/admin-auth.ts";
import type { AppEnv } from "../types.ts";

/** `GET /metrics`: Prometheus text of every active tenant's TenantSession (admin token). */
export const metricsRoutes = new Hono<AppEnv>().get("/", adminAuth, async (c) => {
  const rows = await c.var.db().select({ tenantId: tenants.tenantId }).from(tenants).where(isNull(tenants.disabledAt)).orderBy(asc(tenants.tenantId)).limit(1000);
  const lines = await Promise.all(
    rows.map(async ({ tenantId }) => {
      try {
        return await c.env.TENANT_SESSION.get(c.env.TENANT_SESSION.idFromName(tenantId)).metricLines();
      } catch {
        return [`b2x_tenant_session_up{tenant="${tenantId}"} 0`];
      }
    }),
  );
  return c.text(`${[...METRIC_HEADERS, ...RELEASE_METRIC_HEADERS, ...lines.flat()].join("\n")}\n`, 200, { "content-type": "text/plain; version=0.0.4" });
});
