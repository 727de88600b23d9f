import { Hono } from "hono";
import type { AppEnv } from "../types.ts";

/** `GET /v1/session`: the calling tenant, the rollout ring serving it, and its TenantSession Durable Object. */
export const sessionRoutes = new Hono<AppEnv>().get("/", async (c) => {
  const { tenantId, keyId } = c.var.tenant;
  const stub = c.env.TENANT_SESSION.get(c.env.TENANT_SESSION.idFromName(tenantId));
  const session = await stub.info(tenantId);
  return c.json({ tenantId, keyId, ring: c.env.ROLLOUT_RING, session });
});
