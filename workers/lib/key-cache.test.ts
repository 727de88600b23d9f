import { describe, expect, it } from "vitest";
import { tenantConfigSchema } from "../../schema/tenant-config.ts";
import { KEY_CACHE_TTL_MS, REFRESH_AFTER_MS, cachedPrincipal, forgetKey, rememberPrincipal } from "./key-cache.ts";

const principal = { tenantId: "kc-tenant", keyId: "k1", configVersion: 1, config: tenantConfigSchema.parse({}) };

describe("the API key cache", () => {
  it("asks for one background check before the TTL ends, and never serves past the TTL", () => {
    const t0 = 1_000_000;
    rememberPrincipal("hash-a", principal, t0);
    expect(cachedPrincipal("hash-a", t0 + 1)).toEqual({ principal, refresh: false });
    expect(cachedPrincipal("hash-a", t0 + REFRESH_AFTER_MS)).toEqual({ principal, refresh: true });
    // Only one check per entry: the requests after it are served without starting another.
    expect(cachedPrincipal("hash-a", t0 + REFRESH_AFTER_MS + 1)).toEqual({ principal, refresh: false });
    expect(cachedPrincipal("hash-a", t0 + KEY_CACHE_TTL_MS)).toBeUndefined();
  });

  it("starts a new period when the check remembers the key, and forgets a key the check found gone", () => {
    const t0 = 2_000_000;
    rememberPrincipal("hash-b", principal, t0);
    expect(cachedPrincipal("hash-b", t0 + REFRESH_AFTER_MS)?.refresh).toBe(true);
    rememberPrincipal("hash-b", principal, t0 + REFRESH_AFTER_MS + 5);
    expect(cachedPrincipal("hash-b", t0 + KEY_CACHE_TTL_MS + 1)).toEqual({ principal, refresh: false });
    forgetKey("hash-b");
    expect(cachedPrincipal("hash-b", t0 + KEY_CACHE_TTL_MS + 2)).toBeUndefined();
  });
});
