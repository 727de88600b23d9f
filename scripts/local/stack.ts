import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { migrateDatabase } from "../migrate-db.ts";
import { DEV_KEYS_DIR, loadSigningKey, trustedKeysOf } from "../release/keys.ts";
import { type RunningPostgres, startEmbeddedPostgres } from "./embedded-postgres.ts";
import { freePort } from "./ports.ts";
import { startWranglerDev } from "./wrangler-dev.ts";
import { startWsProxy } from "./ws-proxy.ts";

export interface StackOptions {
  /** Repository root (where wrangler.toml is). */
  root: string;
  /** Where Postgres data, DO storage and generated secrets live; reused across starts. */
  dataDir: string;
  /** Where to write the Worker's secrets (`.dev.vars` for `npm start`). */
  varsFile: string;
  /** Preferred ports (a free one is used if taken); unset = any free port. */
  workerPort?: number;
  postgresPort?: number;
  proxyPort?: number;
  /** Use an existing Postgres (e.g. a system one for benchmarks) instead of the embedded one. */
  databaseUrl?: string;
  /** Where the connector release signing key lives (default `.data/release-keys` under root). */
  releaseKeysDir?: string;
  log?: (line: string) => void;
  workerOutput?: (line: string) => void;
}

export interface Stack {
  baseUrl: string;
  adminToken: string;
  databaseUrl: string;
  wsProxy: string;
  stop(): Promise<void>;
}

/** The admin token is generated once per data directory and reused by later starts. */
function adminTokenFor(dataDir: string): string {
  const file = join(dataDir, "admin-token");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const token = `b2x_admin_${randomBytes(24).toString("hex")}`;
  writeFileSync(file, token, { mode: 0o600 });
  return token;
}

/** The edge trusts the key `npm run release:connector` signs with (created on first use). */
function releasePublicKeys(opts: StackOptions): string {
  return JSON.stringify(trustedKeysOf(loadSigningKey(opts.releaseKeysDir ?? join(opts.root, DEV_KEYS_DIR))));
}

async function portOr(preferred: number | undefined): Promise<number> {
  if (preferred === undefined) return freePort();
  const { createServer } = await import("node:net");
  const free = await new Promise<boolean>((resolve) => {
    const srv = createServer().once("error", () => resolve(false));
    srv.listen(preferred, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
  return free ? preferred : freePort();
}

function describeUrl(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 5432) };
}

/**
 * Postgres (embedded PGlite unless a URL is given) -> migrations -> ws->TCP proxy for the
 * Neon driver -> `wrangler dev`. Stops in reverse order; a failed start undoes what it began.
 */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const log = opts.log ?? (() => {});
  mkdirSync(opts.dataDir, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    let pg: RunningPostgres | { url: string; host: string; port: number };
    if (opts.databaseUrl) {
      pg = { url: opts.databaseUrl, ...describeUrl(opts.databaseUrl) };
      log(`postgres: using ${pg.host}:${pg.port}`);
    } else {
      const started = performance.now();
      const embedded = await startEmbeddedPostgres({ dataDir: join(opts.dataDir, "pg"), port: await portOr(opts.postgresPort) });
      stops.push(() => embedded.stop());
      pg = embedded;
      log(`postgres: embedded PGlite on ${pg.host}:${pg.port} (${Math.round(performance.now() - started)} ms)`);
    }
    await migrateDatabase(pg.url);
    log("postgres: migrations applied");
    const proxy = await startWsProxy({ port: await portOr(opts.proxyPort), target: { host: pg.host, port: pg.port } });
    stops.push(() => proxy.stop());
    log(`ws proxy: ${proxy.address} -> ${pg.host}:${pg.port}`);
    const adminToken = adminTokenFor(opts.dataDir);
    const started = performance.now();
    const worker = await startWranglerDev({
      root: opts.root,
      port: await portOr(opts.workerPort),
      inspectorPort: await freePort(),
      vars: { DATABASE_URL: pg.url, ADMIN_TOKEN: adminToken, PG_WS_PROXY: proxy.address, RELEASE_PUBLIC_KEYS: releasePublicKeys(opts) },
      varsFile: opts.varsFile,
      persistTo: join(opts.dataDir, "wrangler"),
      ...(opts.workerOutput && { onOutput: opts.workerOutput }),
    });
    stops.push(() => worker.stop());
    log(`worker: ${worker.baseUrl} (wrangler dev ready in ${Math.round(performance.now() - started)} ms)`);
    return { baseUrl: worker.baseUrl, adminToken, databaseUrl: pg.url, wsProxy: proxy.address, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
