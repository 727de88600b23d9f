import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { RING_ADMIN_TOKEN, RING_BUNDLE_DIR, RINGS, TENANT_RINGS_KV_ID } from "./test/rollout/constants.ts";
import { TEST_ADMIN_TOKEN, TEST_MAX_BODY_BYTES, TEST_RELEASE_PUBLIC_KEYS } from "./test/workers/constants.ts";

export default defineConfig({
  test: {
    projects: [
      {
        // Worker and Durable Object tests inside workerd, against a real Postgres (PGlite)
        // reached through the Neon driver and the ws->TCP proxy started in global setup.
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                DATABASE_URL: inject("databaseUrl"),
                PG_WS_PROXY: inject("wsProxy"),
                ADMIN_TOKEN: TEST_ADMIN_TOKEN,
                MAX_BODY_BYTES: String(TEST_MAX_BODY_BYTES),
                // Every request logs an access line at info; tests show only what goes wrong.
                LOG_LEVEL: "warn",
                RELEASE_PUBLIC_KEYS: JSON.stringify(TEST_RELEASE_PUBLIC_KEYS),
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts", "workers/**/*.test.ts", "durable-objects/**/*.test.ts"],
          globalSetup: ["test/workers/global-setup.ts"],
          testTimeout: 20_000,
        },
      },
      {
        // The router Worker under test, in front of the three ring Workers as built for
        // deployment (global setup bundles each with `wrangler deploy --dry-run --env <ring>`),
        // each with its own TenantSession namespace; one TENANT_RINGS KV namespace for all.
        plugins: [
          cloudflareTest(({ inject }) => {
            const shared = { DATABASE_URL: inject("databaseUrl"), PG_WS_PROXY: inject("wsProxy"), ADMIN_TOKEN: RING_ADMIN_TOKEN };
            return {
              wrangler: { configPath: "./wrangler.router.toml" },
              miniflare: {
                // The test runner inside the router's isolate needs node:* modules; the router itself does not.
                compatibilityFlags: ["nodejs_compat"],
                // RING_CACHE_MS 0: the router reads KV on every request, so a ring switch shows at once.
                bindings: { ...shared, RING_CACHE_MS: "0" },
                // Rings that are down, for the merged ops views' tests (test/rollout/ops-views.test.ts).
                serviceBindings: { RING_BROKEN_DB: "b2x-edge-broken-db", RING_CRASHING: "b2x-edge-crashing" },
                workers: [
                  ...RINGS.map((ring) => ({
                    name: `b2x-edge-${ring}`,
                    modules: true,
                    scriptPath: `${RING_BUNDLE_DIR}/${ring}/index.js`,
                    compatibilityDate: "2025-10-01",
                    compatibilityFlags: ["nodejs_compat"],
                    durableObjects: { TENANT_SESSION: { className: "TenantSession", useSQLite: true } },
                    kvNamespaces: { TENANT_RINGS: TENANT_RINGS_KV_ID },
                    r2Buckets: { CONNECTOR_RELEASES: "b2x-connector-releases" },
                    bindings: { ...shared, LOG_LEVEL: "warn", MAX_BODY_BYTES: "1048576", ROLLOUT_RING: ring, RELEASE_PUBLIC_KEYS: JSON.stringify(TEST_RELEASE_PUBLIC_KEYS) },
                  })),
                  // The real early bundle whose database cannot be reached (its proxy port is closed).
                  {
                    name: "b2x-edge-broken-db",
                    modules: true,
                    scriptPath: `${RING_BUNDLE_DIR}/early/index.js`,
                    compatibilityDate: "2025-10-01",
                    compatibilityFlags: ["nodejs_compat"],
                    durableObjects: { TENANT_SESSION: { className: "TenantSession", useSQLite: true } },
                    kvNamespaces: { TENANT_RINGS: TENANT_RINGS_KV_ID },
                    r2Buckets: { CONNECTOR_RELEASES: "b2x-connector-releases" },
                    bindings: { ...shared, PG_WS_PROXY: "127.0.0.1:9", LOG_LEVEL: "error", MAX_BODY_BYTES: "1048576", ROLLOUT_RING: "early", RELEASE_PUBLIC_KEYS: "{}" },
                  },
                  // A ring whose script throws on every request (a bad deploy).
                  { name: "b2x-edge-crashing", modules: true, script: `export default { fetch() { throw new Error("ring crashed"); } };`, compatibilityDate: "2025-10-01" },
                ],
              },
            };
          }),
        ],
        test: {
          name: "rollout",
          include: ["test/rollout/**/*.test.ts"],
          globalSetup: ["test/rollout/global-setup.ts"],
          testTimeout: 30_000,
        },
      },
      {
        // Node tests: the real local stack (wrangler dev, proxy, Postgres) on free ports.
        test: {
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["test/e2e/global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The connector host and the enventa simulator, in Node, against real SQLite files; bench helpers.
        test: {
          name: "connector",
          environment: "node",
          include: ["connector-host/**/*.test.ts", "scripts/**/*.test.ts", "test/support/**/*.test.ts", "bench/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
