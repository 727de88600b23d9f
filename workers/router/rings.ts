/**
 * The rollout rings as the router knows them (kept free of zod and schema imports: the router
 * must stay a thin script). Mirrors ROLLOUT_RINGS in schema/tenants.ts (a test checks they agree).
 */
export const RINGS = ["canary", "early", "stable"] as const;
export type Ring = (typeof RINGS)[number];

/** Where traffic without a tenant (health, tenant lists, unknown credentials) and unmapped tenants go. */
export const DEFAULT_RING: Ring = "stable";

export function isRing(value: string | null | undefined): value is Ring {
  return (RINGS as readonly string[]).includes(value ?? "");
}

/** The service binding of each ring's Worker script. */
export function ringService(env: RouterEnv, ring: Ring): Fetcher {
  switch (ring) {
    case "canary":
      return env.RING_CANARY;
    case "early":
      return env.RING_EARLY;
    case "stable":
      return env.RING_STABLE;
  }
}
