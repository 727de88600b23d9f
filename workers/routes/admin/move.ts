import { eq } from "drizzle-orm";
import { type Context, Hono } from "hono";
import { z } from "zod";
import { snapshotPartSchema } from "../../../durable-objects/move/snapshot-schema.ts";
import type { TenantRef } from "../../../durable-objects/tenant-session.ts";
import { ROLLOUT_RINGS, tenants } from "../../../schema/index.ts";
import { badRequest, conflict, notFound } from "../../errors.ts";
import { live } from "../../lib/live.ts";
import { auditEvent } from "../../middleware/admin-audit.ts";
import { tenantConfig } from "../../lib/tenant-config-cache.ts";
import { jsonBody, pathParams } from "../../lib/validate.ts";
import type { AppEnv } from "../../types.ts";
import { tenantParams } from "./tenants.ts";

export const drainBody = z.object({ to: z.enum(ROLLOUT_RINGS) }).strict();
export const importBody = z.object({ reset: z.boolean().default(false), part: snapshotPartSchema }).strict();

/** The tenant's row and its TenantSession in this ring's namespace (404 for an unknown tenant). */
async function sessionOf(c: Context<AppEnv>, tenantId: string) {
  const [t] = await c.var.db().select().from(tenants).where(eq(tenants.tenantId, tenantId));
  if (!t) throw notFound(`Tenant '${tenantId}' not found`);
  const ref: TenantRef = { tenantId, config: tenantConfig(tenantId, t.configVersion, t.config), configVersion: t.configVersion };
  return { tenant: t, ref, stub: c.env.TENANT_SESSION.get(c.env.TENANT_SESSION.idFromName(tenantId)) };
}

/**
 * Which ring may run a step: the source steps (drain, export, cancel) where the tenant is, the
 * target steps (import, finish) and `complete` (after the switch) only where it is not, so a
 * step sent to the wrong ring can never overwrite or close the tenant's live session. The local
 * "dev" script is every ring at once; its own DO's phase keeps the steps in order there.
 */
function assertRing(c: Context<AppEnv>, tenantId: string, tenantRing: string, where: "tenant" | "elsewhere"): void {
  const ring = c.env.ROLLOUT_RING;
  if (ring === "dev" || (where === "tenant") === (ring === tenantRing)) return;
  throw conflict(
    where === "tenant"
      ? `Tenant '${tenantId}' is in the '${tenantRing}' ring; this step runs there, not in '${ring}'`
      : `Tenant '${tenantId}' is live in this ring ('${ring}'); this step runs in the ring it moves to (or left)`,
  );
}

/** Names the audit entry the admin audit middleware writes for this request (refused ones are logged too). */
const record = (c: Context<AppEnv>, tenantId: string, action: string, details: Record<string, unknown>) =>
  auditEvent(c, { action: `tenant.move.${action}`, target: tenantId, details: { ring: c.env.ROLLOUT_RING, ...details } });

/**
 * Moving a tenant's Durable Object state between rollout rings (the rollout CLI drives these in
 * order; each ring has its own namespace, so every call goes to one ring's Worker):
 * source `drain` → source `export` (POST) → target `import` (parts) → target `finish` →
 * `PATCH /tenants/:id { rolloutRing }` (database + router KV) → source `complete`.
 * `cancel` gives a drained move up. Every step is audit-logged with the ring that ran it.
 */
export const moveAdminRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const { tenantId } = pathParams(c, tenantParams);
    const { tenant, stub } = await sessionOf(c, tenantId);
    return c.json({ tenantId, ring: c.env.ROLLOUT_RING, rolloutRing: tenant.rolloutRing, ...(await stub.moveStatus()) });
  })
  .post("/drain", async (c) => {
    const { tenantId } = pathParams(c, tenantParams);
    const { to } = await jsonBody(c, drainBody);
    const { tenant, ref, stub } = await sessionOf(c, tenantId);
    if (to === tenant.rolloutRing) throw badRequest(`Tenant '${tenantId}' is already in the '${to}' ring`);
    assertRing(c, tenantId, tenant.rolloutRing, "tenant");
    const report = await live(() => stub.moveDrain(ref, to));
    record(c, tenantId, "drain", { from: tenant.rolloutRing, to, pendingOrders: report.pendingOrders, orders: report.orders });
    return c.json({ tenantId, ring: c.env.ROLLOUT_RING, ...report });
  })
  // POST: it hands the tenant's data out, so it is audited like every other step.
  .post("/export", async (c) => {
    const { tenantId } = pathParams(c, tenantParams);
    const { tenant, stub } = await sessionOf(c, tenantId);
    assertRing(c, tenantId, tenant.rolloutRing, "tenant");
    const snapshot = await live(() => stub.moveExport());
    record(c, tenantId, "export", { orders: snapshot.outbox.length, idempotencyKeys: snapshot.idempotencyKeys.length });
    return c.json({ tenantId, ring: c.env.ROLLOUT_RING, ...snapshot });
  })
  .post("/import", async (c) => {
    const { tenantId } = pathParams(c, tenantParams);
    const { reset, part } = await jsonBody(c, importBody);
    const { tenant, ref, stub } = await sessionOf(c, tenantId);
    assertRing(c, tenantId, tenant.rolloutRing, "elsewhere");
    const counts = await live(() => stub.moveImport(ref, part, reset));
    record(c, tenantId, "import", { reset, ...counts });
    return c.json({ tenantId, ring: c.env.ROLLOUT_RING, imported: counts });
  })
  .post("/finish", async (c) => {
    const { tenantId } = pathParams(c, tenantParams);
    const { tenant, ref, stub } = await sessionOf(c, tenantId);
    assertRing(c, tenantId, tenant.rolloutRing, "elsewhere");
    const state = await live(() => stub.moveFinishImport(ref));
    record(c, tenantId, "finish", {});
    return c.json({ tenantId, ring: c.env.ROLLOUT_RING, ...state });
  })
  .post("/complete", async (c) => {
    const { tenantId } = pathParams(c, tenantParams);
    const { tenant, stub } = await sessionOf(c, tenantId);
    assertRing(c, tenantId, tenant.rolloutRing, "elsewhere");
    const state = await live(() => stub.moveComplete());
    record(c, tenantId, "complete", { to: state.to, socketsClosed: state.socketsClosed });
    return c.json({ tenantId, ring: c.env.ROLLOUT_RING, ...state });
  })
  .post("/cancel", async (c) => {
    const { tenantId } = pathParams(c, tenantParams);
    const { stub } = await sessionOf(c, tenantId);
    const state = await live(() => stub.moveCancel());
    record(c, tenantId, "cancel", {});
    return c.json({ tenantId, ring: c.env.ROLLOUT_RING, ...state });
  });
