import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../scripts/local/embedded-postgres.ts";
import { freePort } from "../../scripts/local/ports.ts";
import { startWsProxy } from "../../scripts/local/ws-proxy.ts";
import { migrateDatabase } from "../../scripts/migrate-db.ts";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    wsProxy: string;
  }
}

/** A throwaway Postgres (in-memory PGlite) and the ws proxy the Neon driver in workerd dials. */
export async function provideTestDatabase(project: TestProject): Promise<() => Promise<void>> {
  const pg = await startEmbeddedPostgres({ dataDir: "memory://", port: await freePort() });
  await migrateDatabase(pg.url);
  const proxy = await startWsProxy({ port: await freePort(), target: { host: pg.host, port: pg.port } });
  project.provide("databaseUrl", pg.url);
  project.provide("wsProxy", proxy.address);
  return async () => {
    await proxy.stop();
    await pg.stop();
  };
}

export default function setup(project: TestProject) {
  return provideTestDatabase(project);
}
