import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { freePort } from "../../scripts/local/ports.ts";
import { startStack } from "../../scripts/local/stack.ts";
import { startSystemPostgres, systemPostgresAvailable } from "../../scripts/local/system-postgres.ts";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    adminToken: string;
    stackDatabaseUrl: string;
    /** "system" (real Postgres, real sessions) or "embedded" (PGlite: one shared session). */
    postgresKind: "system" | "embedded";
    /** Every line the Worker (wrangler dev) printed, one a line, for tests of its logs. */
    workerLogFile: string;
  }
}

/** Starts the real local stack once for all e2e tests: PGlite, ws proxy, migrations, wrangler dev. */
export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(join(tmpdir(), "b2x-e2e-"));
  // A real Postgres where there is one (CI installs it): connections that die mid-transaction
  // must not poison others, which PGlite's single shared session cannot promise.
  const kind = (process.env.B2X_E2E_POSTGRES as "system" | "embedded" | undefined) ?? (systemPostgresAvailable() ? "system" : "embedded");
  const pg = kind === "system" ? await startSystemPostgres({ dataDir: join(dataDir, "pg"), port: await freePort() }) : undefined;
  const workerLogFile = join(dataDir, "worker.log");
  const workerLog = createWriteStream(workerLogFile);
  const stack = await startStack({
    ...(pg && { databaseUrl: pg.url }),
    root: process.cwd(),
    dataDir,
    varsFile: join(dataDir, "worker.vars"),
    ...(process.env.B2X_TEST_VERBOSE && { log: console.log }),
    workerOutput: (l: string) => {
      workerLog.write(`${l}\n`);
      if (process.env.B2X_TEST_VERBOSE) console.log(`[worker] ${l}`);
    },
  });
  project.provide("baseUrl", stack.baseUrl);
  project.provide("adminToken", stack.adminToken);
  project.provide("stackDatabaseUrl", stack.databaseUrl);
  project.provide("postgresKind", kind);
  project.provide("workerLogFile", workerLogFile);
  return async () => {
    await stack.stop();
    workerLog.end();
    await pg?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
