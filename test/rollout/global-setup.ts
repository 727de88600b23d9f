import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import { provideTestDatabase } from "../workers/global-setup.ts";
import { RING_BUNDLE_DIR, RINGS } from "./constants.ts";

const run = promisify(execFile);

/**
 * Each ring's Worker exactly as it would be deployed: `wrangler deploy --dry-run --env <ring>`
 * bundles it (which also proves every ring builds); the test project runs those bundles as the
 * router's service-binding targets. Plus a throwaway Postgres and the ws proxy, as for `workers`.
 */
export default async function setup(project: TestProject) {
  const root = resolve(import.meta.dirname, "../..");
  const wrangler = resolve(root, "node_modules/.bin/wrangler");
  await Promise.all(
    RINGS.map((ring) =>
      run(wrangler, ["deploy", "--dry-run", "--env", ring, "--outdir", resolve(root, RING_BUNDLE_DIR, ring)], {
        cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
      }).catch((err: { stderr?: string; stdout?: string }) => {
        throw new Error(`ring '${ring}' does not build: ${err.stderr ?? ""}${err.stdout ?? ""}`);
      }),
    ),
  );
  return provideTestDatabase(project);
}
