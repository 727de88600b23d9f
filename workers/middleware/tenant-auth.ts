import { and, eq, isNull } from "drizzle-orm";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { apiKeys, tenants } from "../../schema/index.ts";
import { type Database, openDatabase } from "../db/client.ts";
import { unauthorized } from "../errors.ts";
import { bearerToken, digestsEqual, parseCredential, sha256Hex } from "../lib/credentials.ts";
import { cachedPrincipal, forgetKey, rememberPrincipal } from "../lib/key-cache.ts";
import { tenantConfig } from "../lib/tenant-config-cache.ts";
import type { AppEnv, TenantPrincipal } from "../types.ts";

type Credential = NonNullable<ReturnType<typeof parseCredential>>;

/** The key's principal from Postgres, or null when it is unknown, revoked, or its tenant disabled. */
async function lookUp(db: Database, parsed: Credential, hash: string): Promise<TenantPrincipal | null> {
  const [row] = await db
    .select({ keyHash: apiKeys.keyHash, config: tenants.config, configVersion: tenants.configVersion })
    .from(apiKeys)
    .innerJoin(tenants, eq(tenants.tenantId, apiKeys.tenantId))
    .where(and(eq(apiKeys.tenantId, parsed.tenantId), eq(apiKeys.keyId, parsed.id), isNull(apiKeys.revokedAt), isNull(tenants.disabledAt)))
    .limit(1);
  if (!row || !digestsEqual(row.keyHash, hash)) return null;
  return { tenantId: parsed.tenantId, keyId: parsed.id, configVersion: row.configVersion, config: tenantConfig(parsed.tenantId, row.configVersion, row.config) };
}

/**
 * A cached key due for its check is looked up again after the response, on a connection of its
 * own (the request's pool is ended when the request is): found, it is remembered anew; gone, forgotten.
 */
function refreshInBackground(c: Context<AppEnv>, parsed: Credential, hash: string): void {
  const refresh = async () => {
    const { db, pool } = openDatabase(c.env);
    try {
      const principal = await lookUp(db, parsed, hash);
      if (principal) rememberPrincipal(hash, principal);
      else forgetKey(hash);
    } catch (err) {
      // Postgres unreachable: the entry simply expires at its TTL and the next request asks again.
      c.var.log("warn", "background API key check failed", { error: String(err) });
    } finally {
      await pool.end().catch(() => {});
    }
  };
  try {
    c.executionCtx.waitUntil(refresh());
  } catch {
    /* no execution context (app.request in unit tests): the entry expires at its TTL instead */
  }
}

/**
 * Storefront auth: the tenant comes from the API key and nothing else. Unknown, revoked,
 * malformed and other-tenant keys all get the same 401, so a probe learns nothing.
 */
export const tenantAuth = createMiddleware<AppEnv>(async (c, next) => {
  const raw = bearerToken(c.req.header("authorization"));
  const parsed = raw ? parseCredential(raw, "sk") : null;
  if (!raw || !parsed) throw unauthorized();
  const hash = await sha256Hex(raw);
  const cached = cachedPrincipal(hash);
  if (cached) {
    if (cached.refresh) refreshInBackground(c, parsed, hash);
    c.set("tenant", cached.principal);
    return next();
  }
  const principal = await lookUp(c.var.db(), parsed, hash);
  if (!principal) throw unauthorized();
  rememberPrincipal(hash, principal);
  c.set("tenant", principal);
  await next();
});
