import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startStack } from "../../scripts/local/stack.ts";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    adminToken: string;
    stackDatabaseUrl: string;
  }
}

/** Starts the real local stack once for all e2e tests: PGlite, ws proxy, migrations, wrangler dev. */
export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(join(tmpdir(), "b2x-e2e-"));
  const stack = await startStack({
    root: process.cwd(),
    dataDir,
    varsFile: join(dataDir, "worker.vars"),
    ...(process.env.B2X_TEST_VERBOSE && { log: console.log, workerOutput: (l: string) => console.log(`[worker] ${l}`) }),
  });
  project.provide("baseUrl", stack.baseUrl);
  project.provide("adminToken", stack.adminToken);
  project.provide("stackDatabaseUrl", stack.databaseUrl);
  return async () => {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
