import { asc, eq, sql } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { ROLLOUT_RINGS, tenants } from "../../../schema/index.ts";
import { tenantConfigSchema, tenantIdSchema } from "../../../schema/tenant-config.ts";
import { conflict, notFound } from "../../errors.ts";
import { auditEvent } from "../../middleware/admin-audit.ts";
import { forgetTenant } from "../../lib/key-cache.ts";
import { assertKnownRelease, ringVersionOfTenant } from "../../lib/releases/rollout.ts";
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

export const tenantRoutes = new Hono<AppEnv>()
  .post("/", async (c) => {
    const body = await jsonBody(c, createTenantBody);
    auditEvent(c, { action: "tenant.create", target: body.tenantId, tenantId: body.tenantId });
    const db = c.var.db();
    const pinned = body.config.connectorRegistration.desiredConnectorVersion;
    if (pinned) await assertKnownRelease(db, pinned);
    const [created] = await db.insert(tenants).values(body).onConflictDoNothing().returning();
    if (!created) throw conflict(`Tenant '${body.tenantId}' already exists`);
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
    if (body.config !== undefined || body.rolloutRing !== undefined) {
      // Another ring or override changes the connector version wanted: tell its connectors now.
      const ref = { tenantId, config: tenantConfigSchema.parse(updated.config), configVersion: updated.configVersion };
      await c.env.TENANT_SESSION.get(c.env.TENANT_SESSION.idFromName(tenantId))
        .setRingConnectorVersion(tenantId, await ringVersionOfTenant(c.var.db(), tenantId), ref)
        .catch((err: unknown) => c.var.log("warn", "connector rollout not pushed; connectors learn it when they reconnect", { error: String(err) }));
    }
    return c.json(present(updated));
  });
