import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
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
