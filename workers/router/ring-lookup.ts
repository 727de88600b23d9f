import { DEFAULT_RING, type Ring, isRing } from "./rings.ts";

/** How long an isolate trusts what it read (KV itself caches reads for KV_CACHE_TTL_S at the edge). */
const ISOLATE_TTL_MS = 10_000;
const KV_CACHE_TTL_S = 30;
/** Bounded: a flood of made-up tenant ids cannot grow the isolate's memory. */
const MAX_ENTRIES = 10_000;

const cache = new Map<string, { ring: Ring; until: number }>();

/**
 * The tenant's ring from the TENANT_RINGS KV namespace (written by the admin API), cached
 * briefly in the isolate. A tenant without an entry, or with a value that is not a ring, goes
 * to the default ring (stable): the safe place, whose Worker then answers for it (or 401s).
 */
export async function ringOf(kv: KVNamespace, tenantId: string, now = Date.now()): Promise<Ring> {
  const hit = cache.get(tenantId);
  if (hit && hit.until > now) return hit.ring;
  const value = await kv.get(tenantId, { cacheTtl: KV_CACHE_TTL_S });
  const ring = isRing(value) ? value : DEFAULT_RING;
  if (cache.size >= MAX_ENTRIES) cache.clear();
  cache.set(tenantId, { ring, until: now + ISOLATE_TTL_MS });
  return ring;
}

/** Drops the isolate's cache (tests, and nothing else: production waits for the TTL). */
export function forgetRings(): void {
  cache.clear();
}
