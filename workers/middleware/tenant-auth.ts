import { and, eq, isNull } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { apiKeys, tenants } from "../../schema/index.ts";
import { unauthorized } from "../errors.ts";
import { bearerToken, digestsEqual, parseCredential, sha256Hex } from "../lib/credentials.ts";
import { cachedPrincipal, rememberPrincipal } from "../lib/key-cache.ts";
import { tenantConfig } from "../lib/tenant-config-cache.ts";
import type { AppEnv } from "../types.ts";

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
    c.set("tenant", cached);
    return next();
  }
  const [row] = await c.var
    .db()
    .select({ keyHash: apiKeys.keyHash, config: tenants.config, configVersion: tenants.configVersion })
    .from(apiKeys)
    .innerJoin(tenants, eq(tenants.tenantId, apiKeys.tenantId))
    .where(and(eq(apiKeys.tenantId, parsed.tenantId), eq(apiKeys.keyId, parsed.id), isNull(apiKeys.revokedAt), isNull(tenants.disabledAt)))
    .limit(1);
  if (!row || !digestsEqual(row.keyHash, hash)) throw unauthorized();
  const principal = { tenantId: parsed.tenantId, keyId: parsed.id, configVersion: row.configVersion, config: tenantConfig(parsed.tenantId, row.configVersion, row.config) };
  rememberPrincipal(hash, principal);
  c.set("tenant", principal);
  await next();
});
