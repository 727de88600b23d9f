import type { TenantPrincipal } from "../types.ts";

/**
 * Verified API keys per isolate, for a few seconds: a storefront burst costs one Postgres
 * round trip instead of one per request. Revoking a key or changing its tenant purges this
 * isolate at once; other isolates notice within the TTL.
 *
 * An entry in use is checked again in the background from REFRESH_AFTER_MS on (refresh ahead),
 * so under steady traffic no storefront request waits for that round trip; the TTL stays the
 * hard bound on how long a revoked key can still be served.
 */
export const KEY_CACHE_TTL_MS = 10_000;
export const REFRESH_AFTER_MS = 7_000;
const entries = new Map<string, { principal: TenantPrincipal; expires: number; refreshAt: number }>();

export interface CachedKey {
  principal: TenantPrincipal;
  /** True once per entry when it is due for a background check (the caller starts it). */
  refresh: boolean;
}

export function cachedPrincipal(keyHash: string, now = Date.now()): CachedKey | undefined {
  const e = entries.get(keyHash);
  if (!e) return undefined;
  if (e.expires <= now) {
    entries.delete(keyHash);
    return undefined;
  }
  const refresh = e.refreshAt <= now;
  // One background check per entry: the next is due only after a new entry is remembered.
  if (refresh) e.refreshAt = Number.POSITIVE_INFINITY;
  return { principal: e.principal, refresh };
}

export function rememberPrincipal(keyHash: string, principal: TenantPrincipal, now = Date.now()): void {
  if (entries.size >= 10_000) entries.clear();
  entries.set(keyHash, { principal, expires: now + KEY_CACHE_TTL_MS, refreshAt: now + REFRESH_AFTER_MS });
}

/** Forgets one key (a background check found it revoked or its tenant disabled). */
export function forgetKey(keyHash: string): void {
  entries.delete(keyHash);
}

/** Forgets every cached key of a tenant (after revocation, disabling or a config change). */
export function forgetTenant(tenantId: string): void {
  for (const [k, e] of entries) if (e.principal.tenantId === tenantId) entries.delete(k);
}
