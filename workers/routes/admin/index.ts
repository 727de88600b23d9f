import { Hono } from "hono";
import { adminAudit } from "../../middleware/admin-audit.ts";
import { adminAuth } from "../../middleware/admin-auth.ts";
import type { AppEnv } from "../../types.ts";
import { auditRoutes } from "./audit.ts";
import { overviewRoutes } from "./overview.ts";
import { releaseAdminRoutes } from "./releases.ts";
import { apiKeyRoutes, connectorTokenRoutes } from "./credentials.ts";
import { moveAdminRoutes } from "./move.ts";
import { sessionAdminRoutes } from "./sessions.ts";
import { syncAdminRoutes } from "./sync.ts";
import { tenantRoutes } from "./tenants.ts";

export const adminRoutes = new Hono<AppEnv>()
  // The audit middleware runs first so that refused requests (bad token) are logged too.
  .use(adminAudit)
  .use(adminAuth)
  .route("/audit", auditRoutes)
  .route("/overview", overviewRoutes)
  .route("/connector-releases", releaseAdminRoutes)
  .route("/tenants/:tenantId/api-keys", apiKeyRoutes)
  .route("/tenants/:tenantId/connector-tokens", connectorTokenRoutes)
  .route("/tenants/:tenantId/sync", syncAdminRoutes)
  .route("/tenants/:tenantId/move", moveAdminRoutes)
  .route("/tenants/:tenantId", sessionAdminRoutes)
  .route("/tenants", tenantRoutes);
