import { asc, eq, sql } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { ROLLOUT_RINGS, type RolloutRing, tenants } from "../../../schema/index.ts";
import { tenantConfigSchema, tenantIdSchema } from "../../../schema/tenant-config.ts";
import { conflict, notFound } from "../../errors.ts";
import { auditEvent } from "../../middleware/admin-audit.ts";
import { forgetTenant } from "../../lib/key-cache.ts";
import { assertKnownRelease, ringVersionOfTenant } from "../../lib/releases/rollout.ts";
import { publishRing } from "../../lib/tenant-rings.ts";
import { jsonBody, pathParams } from "../../lib/validate.ts";
import type { AppEnv } from "../../types.ts";

export const createTenantBody = z
  .object({
    tenantId: tenantIdSchema,
    name: z.string().trim().min(1).max(200),
    rolloutRing: z.enum(ROLLOUT_RINGS).default("stable"),
    config: tenantConfigSchema.prefault({}),
  })
  .strict();

export const updateTenantBody = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    rolloutRing: z.enum(ROLLOUT_RINGS).optional(),
    config: tenantConfigSchema.optional(),
    disabled: z.boolean().optional(),
  })
  .strict();

export const tenantParams = z.object({ tenantId: tenantIdSchema });

type TenantRow = typeof tenants.$inferSelect;
const present = (t: TenantRow) => ({
  tenantId: t.tenantId,
  name: t.name,
  rolloutRing: t.rolloutRing,
  config: t.config,
  configVersion: t.configVersion,
  catalogVersion: t.catalogVersion,
  createdAt: t.createdAt.toISOString(),
  updatedAt: t.updatedAt.toISOString(),
  disabled: t.disabledAt !== null,
});

/**
 * In a ring Worker, a ring switch strands whatever the tenant's TenantSession holds in this ring's
 * namespace, so it is allowed only for a session with nothing in it, or as the switch step of a
 * move whose drain named this ring (see routes/admin/move.ts and the rollout CLI's move-tenant).
 */
async function assertRingSwitchSafe(env: Env, tenantId: string, to: RolloutRing): Promise<void> {
  // The local "dev" script serves every ring from one namespace: nothing can be stranded.
  if (env.ROLLOUT_RING === "dev") return;
  const move = await env.TENANT_SESSION.get(env.TENANT_SESSION.idFromName(tenantId)).moveStatus();
  if (move.phase !== "open" && move.to === to) return;
  if (move.phase === "open" && !move.holdsState) return;
  throw conflict(
    move.phase === "open"
      ? `Tenant '${tenantId}' has live state (orders, keys, connectors or a sync run) in its current ring: move it with \`npm run rollout -- move-tenant ${tenantId} --to ${to}\``
      : `Tenant '${tenantId}' is moving to the '${move.to}' ring, not '${to}'`,
  );
}

export const tenantRoutes = new Hono<AppEnv>()
  .post("/", async (c) => {
    const body = await jsonBody(c, createTenantBody);
    auditEvent(c, { action: "tenant.create", target: body.tenantId, tenantId: body.tenantId });
    const db = c.var.db();
    const pinned = body.config.connectorRegistration.desiredConnectorVersion;
    if (pinned) await assertKnownRelease(db, pinned);
    const [created] = await db.insert(tenants).values(body).onConflictDoNothing().returning();
    if (!created) throw conflict(`Tenant '${body.tenantId}' already exists`);
    await publishRing(c.env, created.tenantId, created.rolloutRing);
    return c.json(present(created), 201);
  })
  .get("/", async (c) => {
    const rows = await c.var.db().select().from(tenants).orderBy(asc(tenants.tenantId)).limit(1000);
    return c.json({ tenants: rows.map(present) });
  })
  .get("/:tenantId", async (c) => {
    const { tenantId } = pathParams(c, tenantParams);
    const [row] = await c.var.db().select().from(tenants).where(eq(tenants.tenantId, tenantId));
    if (!row) throw notFound(`Tenant '${tenantId}' not found`);
    return c.json(present(row));
  })
  .patch("/:tenantId", async (c) => {
    const { tenantId } = pathParams(c, tenantParams);
    const body = await jsonBody(c, updateTenantBody);
    // A per-tenant connector version must be an uploaded release (unknown: 404, nothing changed).
    const pinned = body.config?.connectorRegistration.desiredConnectorVersion;
    if (pinned) await assertKnownRelease(c.var.db(), pinned);
    if (body.rolloutRing !== undefined) {
      const [current] = await c.var.db().select({ ring: tenants.rolloutRing }).from(tenants).where(eq(tenants.tenantId, tenantId));
      if (!current) throw notFound(`Tenant '${tenantId}' not found`);
      // The same ring again is no switch: it only publishes the ring to the router once more (a KV backfill).
      if (current.ring !== body.rolloutRing) await assertRingSwitchSafe(c.env, tenantId, body.rolloutRing);
    }
    const updated = await c.var.db().transaction(async (tx) => {
      const [row] = await tx
        .update(tenants)
        .set({
          ...(body.name !== undefined && { name: body.name }),
          ...(body.rolloutRing !== undefined && { rolloutRing: body.rolloutRing }),
          ...(body.config !== undefined && { config: body.config, configVersion: sql`${tenants.configVersion} + 1` }),
          ...(body.disabled !== undefined && { disabledAt: body.disabled ? new Date() : null }),
          updatedAt: new Date(),
        })
        .where(eq(tenants.tenantId, tenantId))
        .returning();
      if (row) {
        auditEvent(c, { action: "tenant.update", target: tenantId, details: { fields: Object.keys(body) } });
      }
      return row;
    });
    if (!updated) throw notFound(`Tenant '${tenantId}' not found`);
    forgetTenant(tenantId);
    if (body.rolloutRing !== undefined) await publishRing(c.env, tenantId, updated.rolloutRing);
    if (body.disabled === true) {
      // A disabled tenant's connectors must not keep tunnels they opened before: closed now.
      await c.env.TENANT_SESSION.get(c.env.TENANT_SESSION.idFromName(tenantId))
        .closeAllTunnels("tenant disabled")
        .catch((err: unknown) => c.var.log("warn", "could not close the disabled tenant's tunnels", { tenantId, error: String(err) }));
    }
    if (body.config !== undefined || body.rolloutRing !== undefined) {
      // Another ring or override changes the connector version wanted: tell its connectors now.
      const ref = { tenantId, config: tenantConfigSchema.parse(updated.config), configVersion: updated.configVersion };
      await c.env.TENANT_SESSION.get(c.env.TENANT_SESSION.idFromName(tenantId))
        .setRingConnectorVersion(tenantId, await ringVersionOfTenant(c.var.db(), tenantId), ref)
        .catch((err: unknown) => c.var.log("warn", "connector rollout not pushed; connectors learn it when they reconnect", { error: String(err) }));
    }
    return c.json(present(updated));
  });
