import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { Log, LogLevel, Miniflare, convertV4MiniflareOptions } from "miniflare";
import { freePort, waitFor } from "../../scripts/local/ports.ts";
import type { Stack } from "../../scripts/local/stack.ts";

const run = promisify(execFile);

export interface DirectWorkerOptions {
  root: string;
  /** Bundle output and DO storage go here. */
  dir: string;
  /** The Postgres, ws proxy and admin token this instance uses (e.g. a wrangler-dev stack's). */
  shared: Pick<Stack, "databaseUrl" | "wsProxy" | "adminToken">;
  releasePublicKeys: string;
  /** Worker log lines (the access line etc.); dropped unless given. */
  onLog?: (line: string) => void;
  /** Opens the V8 inspector here (for a CPU profile); off otherwise, as in production. */
  inspectorPort?: number;
}

/**
 * The same Worker bundle `wrangler deploy` would upload (`--dry-run --outdir`), run straight in
 * workerd through Miniflare, reached on a direct socket: no wrangler dev proxy Worker and no Node
 * HTTP hop in front, which production does not have either. Same bindings as wrangler.toml (DO
 * with SQLite storage on disk, KV, R2) and the same Postgres through the same ws->TCP proxy.
 */
export async function startDirectWorker(opts: DirectWorkerOptions): Promise<Stack> {
  const outdir = join(opts.dir, "bundle");
  mkdirSync(outdir, { recursive: true });
  await run(join(opts.root, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", outdir], {
    cwd: opts.root, env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
  });
  const port = await freePort();
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      log: new Log(LogLevel.WARN),
      // Loopback only: no fetching of the `Request.cf` object from the internet.
      cf: false,
      handleStructuredLogs: ({ message }) => opts.onLog?.(message),
      resourcePersistencePath: join(opts.dir, "state"),
      modules: true,
      scriptPath: join(outdir, "index.js"),
      compatibilityDate: "2025-10-01",
      compatibilityFlags: ["nodejs_compat"],
      durableObjects: { TENANT_SESSION: { className: "TenantSession", useSQLite: true } },
      kvNamespaces: { TENANT_RINGS: "b2x0tenant0rings0000000000000000" },
      r2Buckets: { CONNECTOR_RELEASES: "b2x-connector-releases" },
      bindings: {
        DATABASE_URL: opts.shared.databaseUrl, PG_WS_PROXY: opts.shared.wsProxy, ADMIN_TOKEN: opts.shared.adminToken,
        // As in wrangler.toml: the access line per request is written here too.
        LOG_LEVEL: "info", MAX_BODY_BYTES: "1048576", ROLLOUT_RING: "dev", RELEASE_PUBLIC_KEYS: opts.releasePublicKeys,
      },
      versionMetadata: "CF_VERSION_METADATA",
      unsafeDirectSockets: [{ host: "127.0.0.1", port, proxy: false }],
      ...(opts.inspectorPort !== undefined && { inspectorPort: opts.inspectorPort }),
    }),
  );
  await mf.ready;
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitFor("workerd (direct)", async () => (await fetch(`${baseUrl}/v1/health`)).ok, 30_000);
  } catch (err) {
    await mf.dispose();
    throw err;
  }
  return { baseUrl, adminToken: opts.shared.adminToken, databaseUrl: opts.shared.databaseUrl, wsProxy: opts.shared.wsProxy, stop: () => mf.dispose() };
}
