import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { btree_gin } from "@electric-sql/pglite/contrib/btree_gin";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { unaccent } from "@electric-sql/pglite/contrib/unaccent";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface RunningPostgres {
  /** postgres:// URL for Node clients and for the Worker (through the ws proxy). */
  url: string;
  host: string;
  port: number;
  kind: "embedded" | "system";
  /** Whether its shared memory is on huge pages (a system Postgres started with `hugePages`). */
  hugePages?: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Directory holding the data; `memory://` for a throwaway database. */
  dataDir: string;
  port: number;
  /** pglite-socket multiplexes all clients onto one session; this caps open client sockets. */
  maxConnections?: number;
}

/**
 * PGlite (Postgres 18 in WebAssembly) served over TCP by pglite-socket: a real Postgres wire
 * protocol endpoint with the german text-search config, pg_trgm, unaccent and btree_gin,
 * and no system service to install.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  if (!opts.dataDir.startsWith("memory://")) mkdirSync(dirname(opts.dataDir), { recursive: true });
  const db = await PGlite.create({ dataDir: opts.dataDir, extensions: { pg_trgm, unaccent, btree_gin } });
  const host = "127.0.0.1";
  const server = new PGLiteSocketServer({
    db,
    host,
    port: opts.port,
    maxConnections: opts.maxConnections ?? 256,
  });
  await server.start();
  return {
    url: `postgres://postgres:postgres@${host}:${opts.port}/postgres`,
    host,
    port: opts.port,
    kind: "embedded",
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
