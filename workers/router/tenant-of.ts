import { bearerToken, parseCredential } from "../lib/credentials.ts";

const TENANT_PATH = /^\/v1\/admin\/tenants\/([a-z0-9][a-z0-9-]{1,62})(?:\/|$)/;

/**
 * The tenant a request belongs to, without a database: storefront keys and connector tokens
 * carry it (`b2x_<sk|ct>_<tenantId>_…`), tenant-scoped admin routes name it in the path (so
 * admin calls that touch the tenant's Durable Object reach the ring that holds it). Anything
 * else (health, tenant lists, malformed or absent credentials) has no tenant. The credential is
 * only parsed here, never trusted: the ring Worker authenticates it.
 */
export function tenantOf(request: Request): string | null {
  const path = new URL(request.url).pathname;
  const admin = TENANT_PATH.exec(path);
  if (admin) return admin[1]!;
  const raw = bearerToken(request.headers.get("authorization") ?? undefined);
  if (!raw) return null;
  return (parseCredential(raw, "sk") ?? parseCredential(raw, "ct"))?.tenantId ?? null;
}
