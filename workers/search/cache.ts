import { sha256Hex } from "../lib/credentials.ts";

/** Cached answers are also bounded in time, whatever happens to the version. */
const MAX_AGE_SECONDS = 300;

/**
 * Search answers cached per tenant and catalog version (the version moves when a sync run
 * commits): a repeated search costs one cache read instead of the search, and a sync never
 * leaves stale results behind because the key changes with it.
 */
export async function cachedSearch<T>(tenantId: string, version: number | undefined, request: unknown, compute: () => Promise<T>, waitUntil: (p: Promise<unknown>) => void, bypass = false): Promise<{ value: T; hit: boolean }> {
  const cache = (globalThis as { caches?: { default?: Cache } }).caches?.default;
  if (version === undefined || !cache) return { value: await compute(), hit: false };
  const key = new Request(`https://search-cache.b2x.internal/${encodeURIComponent(tenantId)}/${version}/${await sha256Hex(JSON.stringify(request))}`);
  // "Cache-Control: no-cache" from the client: answer fresh (and refresh the entry).
  const hit = bypass ? undefined : await cache.match(key);
  if (hit) return { value: (await hit.json()) as T, hit: true };
  const value = await compute();
  waitUntil(cache.put(key, new Response(JSON.stringify(value), { headers: { "content-type": "application/json", "cache-control": `max-age=${MAX_AGE_SECONDS}` } })).catch(() => {}));
  return { value, hit: false };
}
