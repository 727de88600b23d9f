import { DEFAULT_RING, type Ring, isRing } from "./rings.ts";

/** KV caches reads this long at the edge (its minimum); the isolate's own TTL is RING_CACHE_MS. */
const KV_CACHE_TTL_S = 30;
/** Bounded: a flood of made-up tenant ids cannot grow the isolate's memory. */
const MAX_ENTRIES = 10_000;

const cache = new Map<string, { ring: Ring; until: number }>();

/**
 * The tenant's ring from the TENANT_RINGS KV namespace (written by the admin API), cached
 * briefly in the isolate. A tenant without an entry, or with a value that is not a ring, goes
 * to the default ring (stable): the safe place, whose Worker then answers for it (or 401s).
 */
export async function ringOf(kv: KVNamespace, tenantId: string, cacheMs: number, now = Date.now()): Promise<Ring> {
  const hit = cache.get(tenantId);
  if (hit && hit.until > now) return hit.ring;
  const value = await kv.get(tenantId, cacheMs > 0 ? { cacheTtl: KV_CACHE_TTL_S } : {});
  const ring = isRing(value) ? value : DEFAULT_RING;
  if (cacheMs > 0) {
    if (cache.size >= MAX_ENTRIES) cache.clear();
    cache.set(tenantId, { ring, until: now + cacheMs });
  }
  return ring;
}
