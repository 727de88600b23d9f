import type { TenantPrincipal } from "../types.ts";

/**
 * Verified API keys per isolate, for a few seconds: a storefront burst costs one Postgres
 * round trip instead of one per request. Revoking a key or changing its tenant purges this
 * isolate at once; other isolates notice within the TTL.
 */
export const KEY_CACHE_TTL_MS = 10_000;
const entries = new Map<string, { principal: TenantPrincipal; expires: number }>();

export function cachedPrincipal(keyHash: string, now = Date.now()): TenantPrincipal | undefined {
  const e = entries.get(keyHash);
  if (!e) return undefined;
  if (e.expires <= now) {
    entries.delete(keyHash);
    return undefined;
  }
  return e.principal;
}

export function rememberPrincipal(keyHash: string, principal: TenantPrincipal, now = Date.now()): void {
  if (entries.size >= 10_000) entries.clear();
  entries.set(keyHash, { principal, expires: now + KEY_CACHE_TTL_MS });
}

/** Forgets every cached key of a tenant (after revocation, disabling or a config change). */
export function forgetTenant(tenantId: string): void {
  for (const [k, e] of entries) if (e.principal.tenantId === tenantId) entries.delete(k);
}
