import { eq } from "drizzle-orm";
import { type Context, Hono } from "hono";
import { tenants } from "../../../schema/index.ts";
import { notFound } from "../../errors.ts";
import { auditEvent } from "../../middleware/admin-audit.ts";
import { pathParams } from "../../lib/validate.ts";
import type { AppEnv } from "../../types.ts";
import { tenantParams } from "./tenants.ts";

async function stubOf(c: Context<AppEnv>, tenantId: string) {
  const [row] = await c.var.db().select({ id: tenants.tenantId }).from(tenants).where(eq(tenants.tenantId, tenantId));
  if (!row) throw notFound(`Tenant '${tenantId}' not found`);
  return c.env.TENANT_SESSION.get(c.env.TENANT_SESSION.idFromName(tenantId));
}

/** The tenant's live side: connector presence (each replica) and a session restart for ops. */
export const sessionAdminRoutes = new Hono<AppEnv>()
  .get("/connectors", async (c) => {
    const { tenantId } = pathParams(c, tenantParams);
    return c.json(await (await stubOf(c, tenantId)).connectorPresence());
  })
  .post("/session/reset", async (c) => {
    const { tenantId } = pathParams(c, tenantParams);
    const stub = await stubOf(c, tenantId);
    auditEvent(c, { action: "session.reset" });
    await stub.reset(`admin request ${c.var.requestId}`).catch(() => {
      /* the abort also ends this call */
    });
    return c.json({ tenantId, reset: true });
  });
