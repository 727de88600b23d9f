import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { freePort } from "../../scripts/local/ports.ts";
import { startStack } from "../../scripts/local/stack.ts";
import { startSystemPostgres, systemPostgresAvailable } from "../../scripts/local/system-postgres.ts";
import { pgBouncerAvailable, startPgBouncer } from "../../scripts/local/pgbouncer.ts";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    adminToken: string;
    stackDatabaseUrl: string;
    /** "system" (real Postgres, real sessions) or "embedded" (PGlite: one shared session). */
    postgresKind: "system" | "embedded";
    /** Whether the Worker and the tests reach that Postgres through PgBouncer (transaction mode). */
    pooled: boolean;
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
  // Through PgBouncer in transaction mode where it is installed (CI installs it), as production
  // goes through Neon's pooled connection string: every test then shows that no code path relies
  // on session state (a SET, an advisory lock, a prepared statement kept across transactions).
  const pooler = pg && pgBouncerAvailable() && process.env.B2X_E2E_POOLER !== "no" ? await startPgBouncer({ dir: join(dataDir, "pgbouncer"), port: await freePort(), postgres: pg, poolSize: 20 }) : undefined;
  const databaseUrl = pooler ? `postgres://postgres:postgres@${pooler.host}:${pooler.port}/postgres` : pg?.url;
  const workerLogFile = join(dataDir, "worker.log");
  const workerLog = createWriteStream(workerLogFile);
  const stack = await startStack({
    ...(databaseUrl && { databaseUrl }),
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
  project.provide("pooled", pooler !== undefined);
  project.provide("workerLogFile", workerLogFile);
  return async () => {
    await stack.stop();
    workerLog.end();
    await pooler?.stop();
    await pg?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
