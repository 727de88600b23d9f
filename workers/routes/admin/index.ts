import { Hono } from "hono";
import { adminAuth } from "../../middleware/admin-auth.ts";
import type { AppEnv } from "../../types.ts";
import { apiKeyRoutes, connectorTokenRoutes } from "./credentials.ts";
import { moveAdminRoutes } from "./move.ts";
import { sessionAdminRoutes } from "./sessions.ts";
import { syncAdminRoutes } from "./sync.ts";
import { tenantRoutes } from "./tenants.ts";

export const adminRoutes = new Hono<AppEnv>()
  .use(adminAuth)
  .route("/tenants/:tenantId/api-keys", apiKeyRoutes)
  .route("/tenants/:tenantId/connector-tokens", connectorTokenRoutes)
  .route("/tenants/:tenantId/sync", syncAdminRoutes)
  .route("/tenants/:tenantId/move", moveAdminRoutes)
  .route("/tenants/:tenantId", sessionAdminRoutes)
  .route("/tenants", tenantRoutes);
