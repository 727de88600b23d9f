/** Shared by the vitest config (Node) and the tests (workerd): plain values only. */
export const RINGS = ["canary", "early", "stable"] as const;
/** Where global setup writes each ring's dry-run bundle (`<dir>/<ring>/index.js`). */
export const RING_BUNDLE_DIR = ".data/test/ring-bundles";
export const RING_ADMIN_TOKEN = "rollout-admin-token-0123456789abcdef";
/** The KV namespace id in wrangler.toml and wrangler.router.toml: one namespace shared by router and rings. */
export const TENANT_RINGS_KV_ID = "b2x0tenant0rings0000000000000000";

/** What the rollout project's global setup provides (declared here: vitest.config.ts reads it). */
declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    wsProxy: string;
  }
}
