import { and, asc, eq, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { apiKeys, connectorTokens, tenants } from "../../../schema/index.ts";
import { connectorIdSchema } from "../../../schema/tenant-config.ts";
import type { Database } from "../../db/client.ts";
import { notFound } from "../../errors.ts";
import { auditEvent } from "../../middleware/admin-audit.ts";
import { generateCredential, sha256Hex } from "../../lib/credentials.ts";
import { forgetTenant } from "../../lib/key-cache.ts";
import { jsonBody, pathParams } from "../../lib/validate.ts";
import type { AppEnv } from "../../types.ts";
import { tenantParams } from "./tenants.ts";

const credentialParams = tenantParams.extend({ credentialId: z.string().regex(/^[0-9a-f]{16}$/, "16 hex digits") });
export const issueKeyBody = z.object({ name: z.string().trim().max(200).default("") }).strict().prefault({});
export const issueTokenBody = z.object({ connectorId: connectorIdSchema }).strict();

async function requireTenant(db: Database, tenantId: string): Promise<void> {
  const [row] = await db.select({ id: tenants.tenantId }).from(tenants).where(eq(tenants.tenantId, tenantId));
  if (!row) throw notFound(`Tenant '${tenantId}' not found`);
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Storefront API keys: issued once (the secret is shown only in the create response), revocable. */
export const apiKeyRoutes = new Hono<AppEnv>()
  .post("/", async (c) => {
    const { tenantId } = pathParams(c, tenantParams);
    const { name } = await jsonBody(c, issueKeyBody);
    const db = c.var.db();
    await requireTenant(db, tenantId);
    const { id, secret } = generateCredential("sk", tenantId);
    const keyHash = await sha256Hex(secret);
    const [row] = await db.transaction(async (tx) => {
      const inserted = await tx.insert(apiKeys).values({ tenantId, keyId: id, name, keyHash }).returning();
      auditEvent(c, { action: "api_key.issue", target: id });
      return inserted;
    });
    return c.json({ keyId: id, name, key: secret, createdAt: iso(row!.createdAt) }, 201);
  })
  .get("/", async (c) => {
    const { tenantId } = pathParams(c, tenantParams);
    const db = c.var.db();
    await requireTenant(db, tenantId);
    const rows = await db.select().from(apiKeys).where(eq(apiKeys.tenantId, tenantId)).orderBy(asc(apiKeys.createdAt));
    return c.json({
      keys: rows.map((k) => ({ keyId: k.keyId, name: k.name, createdAt: iso(k.createdAt), revokedAt: iso(k.revokedAt) })),
    });
  })
  .delete("/:credentialId", async (c) => {
    const { tenantId, credentialId } = pathParams(c, credentialParams);
    const revoked = await c.var.db().transaction(async (tx) => {
      const [row] = await tx
        .update(apiKeys)
        .set({ revokedAt: new Date() })
        .where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.keyId, credentialId), isNull(apiKeys.revokedAt)))
        .returning();
      if (row) auditEvent(c, { action: "api_key.revoke", target: credentialId });
      return row;
    });
    if (!revoked) throw notFound(`No active API key '${credentialId}' for tenant '${tenantId}'`);
    forgetTenant(tenantId);
    return c.json({ keyId: revoked.keyId, revokedAt: iso(revoked.revokedAt) });
  });

/** Connector tokens: each bound to one tenant and one connector id. */
export const connectorTokenRoutes = new Hono<AppEnv>()
  .post("/", async (c) => {
    const { tenantId } = pathParams(c, tenantParams);
    const { connectorId } = await jsonBody(c, issueTokenBody);
    const db = c.var.db();
    await requireTenant(db, tenantId);
    const { id, secret } = generateCredential("ct", tenantId);
    const tokenHash = await sha256Hex(secret);
    const [row] = await db.transaction(async (tx) => {
      const inserted = await tx.insert(connectorTokens).values({ tenantId, tokenId: id, connectorId, tokenHash }).returning();
      auditEvent(c, { action: "connector_token.issue", target: id, details: { connectorId } });
      return inserted;
    });
    return c.json({ tokenId: id, connectorId, token: secret, createdAt: iso(row!.createdAt) }, 201);
  })
  .get("/", async (c) => {
    const { tenantId } = pathParams(c, tenantParams);
    const db = c.var.db();
    await requireTenant(db, tenantId);
    const rows = await db.select().from(connectorTokens).where(eq(connectorTokens.tenantId, tenantId)).orderBy(asc(connectorTokens.createdAt));
    return c.json({
      tokens: rows.map((t) => ({ tokenId: t.tokenId, connectorId: t.connectorId, createdAt: iso(t.createdAt), revokedAt: iso(t.revokedAt) })),
    });
  })
  .delete("/:credentialId", async (c) => {
    const { tenantId, credentialId } = pathParams(c, credentialParams);
    const revoked = await c.var.db().transaction(async (tx) => {
      const [row] = await tx
        .update(connectorTokens)
        .set({ revokedAt: new Date() })
        .where(and(eq(connectorTokens.tenantId, tenantId), eq(connectorTokens.tokenId, credentialId), isNull(connectorTokens.revokedAt)))
        .returning();
      if (row) auditEvent(c, { action: "connector_token.revoke", target: credentialId });
      return row;
    });
    if (!revoked) throw notFound(`No active connector token '${credentialId}' for tenant '${tenantId}'`);
    // A revoked token must not keep a tunnel it already opened: the tenant's DO closes it now.
    const stub = c.env.TENANT_SESSION.get(c.env.TENANT_SESSION.idFromName(tenantId));
    const closedTunnels = await stub.revokeConnectorToken(credentialId).catch((err: unknown) => {
      c.var.log("warn", "could not close the revoked token's tunnels", { tenantId, error: String(err) });
      return 0;
    });
    return c.json({ tokenId: revoked.tokenId, revokedAt: iso(revoked.revokedAt), closedTunnels });
  });
