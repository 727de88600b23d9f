import { Pool, neonConfig } from "@neondatabase/serverless";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import * as schema from "../../schema/index.ts";

export type Database = NeonDatabase<typeof schema>;

export interface DatabaseHandle {
  db: Database;
  pool: Pool;
}

interface DatabaseEnv {
  DATABASE_URL: string;
  PG_WS_PROXY?: string;
}

let configuredProxy: string | undefined;

/**
 * Locally the Neon driver cannot reach Neon's WebSocket endpoint, so it dials our
 * ws->TCP proxy in front of a real Postgres instead; unset in production.
 */
function configureDriver(proxy: string | undefined): void {
  if (!proxy || proxy === configuredProxy) return;
  neonConfig.wsProxy = (host, port) => `${proxy}/v1?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
  configuredProxy = proxy;
}

/**
 * A Pool per request: Workers forbid sharing I/O objects between requests, so the pool
 * lives for one request (or one DO call) and is ended afterwards with `waitUntil`.
 */
export function openDatabase(env: DatabaseEnv): DatabaseHandle {
  configureDriver(env.PG_WS_PROXY);
  const pool = new Pool({ connectionString: env.DATABASE_URL, max: 4, connectionTimeoutMillis: 5_000 });
  // An idle client that errors (e.g. the server restarted) must not crash the isolate.
  pool.on("error", () => {});
  return { db: drizzle(pool, { schema }), pool };
}
