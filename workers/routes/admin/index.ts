import { Hono } from "hono";
import { adminAuth } from "../../middleware/admin-auth.ts";
import type { AppEnv } from "../../types.ts";
import { releaseAdminRoutes } from "./releases.ts";
import { apiKeyRoutes, connectorTokenRoutes } from "./credentials.ts";
import { sessionAdminRoutes } from "./sessions.ts";
import { syncAdminRoutes } from "./sync.ts";
import { tenantRoutes } from "./tenants.ts";

export const adminRoutes = new Hono<AppEnv>()
  .use(adminAuth)
  .route("/connector-releases", releaseAdminRoutes)
  .route("/tenants/:tenantId/api-keys", apiKeyRoutes)
  .route("/tenants/:tenantId/connector-tokens", connectorTokenRoutes)
  .route("/tenants/:tenantId/sync", syncAdminRoutes)
  .route("/tenants/:tenantId", sessionAdminRoutes)
  .route("/tenants", tenantRoutes);
