import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
// Miniflare comes with wrangler (the same workerd the rollout test project runs); not a direct dependency.
import { Miniflare, type V4WorkerOptions, convertV4MiniflareOptions } from "miniflare";
import { ROLLOUT_RINGS as RINGS, type RolloutRing as Ring } from "../../schema/tenants.ts";

const run = promisify(execFile);

/** The KV namespace id of wrangler.toml and wrangler.router.toml: router and rings share it. */
const TENANT_RINGS_KV_ID = "b2x0tenant0rings0000000000000000";

export interface RingWorkersOptions {
  root: string;
  /** Where the dry-run bundles go (`<dir>/<ring>/index.js`, `<dir>/router/index.js`). */
  bundleDir: string;
  databaseUrl: string;
  wsProxy: string;
  adminToken: string;
  /** RELEASE_PUBLIC_KEYS of every ring (JSON { keyId: base64 }). */
  releasePublicKeys: string;
}

export interface RingWorkers {
  /** The router Worker as deployed (RING_CACHE_MS 10 s: a tenant's ring is read from KV once per isolate and 10 s). */
  routerUrl: string;
  /** The same router script with RING_CACHE_MS 0: one KV read per request. */
  routerNoCacheUrl: string;
  /** Each ring Worker on its own socket, bypassing the router. */
  ringUrl: Record<Ring, string>;
  stop(): Promise<void>;
}

/** `wrangler deploy --dry-run` of the router and of each ring, in parallel: the bundles as deployed. */
export async function buildBundles(root: string, bundleDir: string): Promise<void> {
  const wrangler = resolve(root, "node_modules/.bin/wrangler");
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" };
  const builds = [
    ...RINGS.map((ring) => ["deploy", "--dry-run", "--env", ring, "--outdir", join(bundleDir, ring)]),
    ["deploy", "--dry-run", "-c", "wrangler.router.toml", "--outdir", join(bundleDir, "router")],
  ];
  await Promise.all(
    builds.map((args) =>
      run(wrangler, args, { cwd: root, env }).catch((err: { stderr?: string }) => {
        throw new Error(`wrangler ${args.join(" ")} failed: ${err.stderr ?? ""}`);
      }),
    ),
  );
}

const workerName = (ring: Ring) => `b2x-edge-${ring}`;

function ringWorker(ring: Ring, o: RingWorkersOptions): V4WorkerOptions {
  return {
    name: workerName(ring),
    modules: true,
    scriptPath: join(o.bundleDir, ring, "index.js"),
    compatibilityDate: "2025-10-01",
    compatibilityFlags: ["nodejs_compat"],
    durableObjects: { TENANT_SESSION: { className: "TenantSession", useSQLite: true } },
    kvNamespaces: { TENANT_RINGS: TENANT_RINGS_KV_ID },
    r2Buckets: { CONNECTOR_RELEASES: "b2x-connector-releases" },
    bindings: {
      DATABASE_URL: o.databaseUrl, PG_WS_PROXY: o.wsProxy, ADMIN_TOKEN: o.adminToken, ROLLOUT_RING: ring,
      // Every request logs an access line at info; the bench prints only what goes wrong.
      LOG_LEVEL: "warn", MAX_BODY_BYTES: "1048576", RELEASE_PUBLIC_KEYS: o.releasePublicKeys,
    },
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  };
}

function routerWorker(name: string, o: RingWorkersOptions, ringCacheMs: string): V4WorkerOptions {
  return {
    name,
    modules: true,
    scriptPath: join(o.bundleDir, "router", "index.js"),
    compatibilityDate: "2025-10-01",
    kvNamespaces: { TENANT_RINGS: TENANT_RINGS_KV_ID },
    serviceBindings: { RING_CANARY: workerName("canary"), RING_EARLY: workerName("early"), RING_STABLE: workerName("stable") },
    bindings: { RING_CACHE_MS: ringCacheMs },
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  };
}

/**
 * The router in front of the three ring bundles in one workerd (Miniflare, in memory), like
 * the rollout test project, but each Worker on its own loopback socket so the same request can
 * go to a ring directly or through the router over the same HTTP path.
 */
export async function startRingWorkers(o: RingWorkersOptions): Promise<RingWorkers> {
  // Miniflare 5 takes a new options shape; the v4 shape (the rollout test project's) converts.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      workers: [routerWorker("b2x-edge-router", o, "10000"), routerWorker("b2x-edge-router-nocache", o, "0"), ...RINGS.map((ring) => ringWorker(ring, o))],
    }),
  );
  await mf.ready;
  const url = async (name: string) => (await mf.unsafeGetDirectURL(name)).origin;
  const ringUrl = Object.fromEntries(await Promise.all(RINGS.map(async (ring) => [ring, await url(workerName(ring))] as const))) as Record<Ring, string>;
  return { routerUrl: await url("b2x-edge-router"), routerNoCacheUrl: await url("b2x-edge-router-nocache"), ringUrl, stop: () => mf.dispose() };
}
