import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEV_KEYS_DIR, loadSigningKey, trustedKeysOf } from "../../scripts/release/keys.ts";
import { migrateDatabase } from "../../scripts/migrate-db.ts";
import type { RunningPostgres } from "../../scripts/local/embedded-postgres.ts";
import { freePort, waitFor } from "../../scripts/local/ports.ts";
import type { Stack } from "../../scripts/local/stack.ts";
import { startWranglerDev } from "../../scripts/local/wrangler-dev.ts";
import { type DirectWorkerOptions, startDirectWorker } from "./direct-worker.ts";
import { stopTsProcess, tsProcess } from "./ts-process.ts";
import { freshBenchDir, startBenchPostgres } from "./bench-postgres.ts";
import { allProcesses } from "./proc-cpu.ts";
import { startPgBouncer } from "../../scripts/local/pgbouncer.ts";

/** How the Worker runs: the deployable bundle straight in workerd, or under `wrangler dev`. */
export type EdgeVia = "direct" | "dev";
export const EDGE_VIAS: readonly EdgeVia[] = ["direct", "dev"];
export const EDGE_LABELS: Record<EdgeVia, string> = {
  direct: "workerd direct (the `wrangler deploy --dry-run` bundle in Miniflare, direct socket)",
  dev: "wrangler dev (its proxy Worker and Node hop in front of workerd)",
};

export interface BenchEdge {
  via: EdgeVia;
  /** Base URL and admin token of the Worker, with the Postgres and ws proxy it uses. */
  stack: Stack;
  pg: RunningPostgres;
  dir: string;
  /** How Postgres runs: on huge pages, and behind PgBouncer (the Worker's connections go through it). */
  postgres: { hugePages: boolean; pooler: boolean };
  /** Processes of this edge, to attribute CPU: the postmaster and the ws proxy. */
  pids: { postmaster: number; wsProxy: number };
  /** The Worker's V8 inspector, when asked for (`inspect`). */
  inspectorPort?: number;
  /**
   * With `ingest`: the same Worker in a workerd process of its own (under a Node process of its
   * own), for the connector's sync batches (its `ingestOrigin`). On Cloudflare the ingest route's
   * requests run wherever the network sends them, never on the thread of the tenant's Durable
   * Object; locally one workerd process runs every isolate on one thread, so only a second
   * process shows that.
   */
  ingest?: { baseUrl: string; pids: number[] };
  stop(): Promise<void>;
}

/**
 * System Postgres (migrated) -> the ws->TCP proxy in its own process -> the Worker, either way,
 * in .data/bench/<name>; nothing else (no wrangler dev beside the direct Worker). Every Worker
 * log line goes to `onWorkerLog`. A failed start stops what it began.
 */
export interface BenchEdgeOptions {
  inspect?: boolean;
  ingest?: boolean;
  /** Postgres's shared memory on huge pages, where the kernel allows (default no). */
  hugePages?: boolean;
  /**
   * The Worker reaches Postgres through PgBouncer in transaction mode, as through Neon's pooled
   * connection string (default no: a new backend per Worker request). Node clients of the bench
   * (`pg.url`) still connect straight to Postgres.
   */
  pooler?: boolean;
}

export async function benchEdge(name: string, via: EdgeVia, onWorkerLog: (line: string) => void, opts: BenchEdgeOptions = {}): Promise<BenchEdge> {
  const inspect = opts.inspect ?? false;
  const root = resolve(import.meta.dirname, "../..");
  const dir = freshBenchDir(name);
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    const pg = await startBenchPostgres(join(dir, "pg"), { hugePages: opts.hugePages ?? false });
    stops.push(() => pg.stop());
    await migrateDatabase(pg.url);
    const pooler = opts.pooler ? await startPgBouncer({ dir: join(dir, "pgbouncer"), port: await freePort(), postgres: pg }) : undefined;
    if (pooler) stops.push(() => pooler.stop());
    const dbAddress = pooler ?? pg;
    const proxyPort = await freePort();
    const proxy = tsProcess("bench/lib/ws-proxy-main.ts", { args: [String(proxyPort), dbAddress.host, String(dbAddress.port)] });
    stops.push(() => stopTsProcess(proxy, 2_000));
    // Any HTTP answer (426 Upgrade Required) means it listens.
    await Promise.race([
      waitFor("ws proxy", async () => Boolean(await fetch(`http://127.0.0.1:${proxyPort}/`)), 30_000),
      proxy.done.then(() => Promise.reject(new Error("ws proxy exited"))),
    ]);
    const databaseUrl = pooler ? `postgres://postgres:postgres@${pooler.host}:${pooler.port}/postgres` : pg.url;
    const shared = { databaseUrl, wsProxy: `127.0.0.1:${proxyPort}`, adminToken: `b2x_admin_${randomBytes(24).toString("hex")}` };
    const releasePublicKeys = JSON.stringify(trustedKeysOf(loadSigningKey(join(root, DEV_KEYS_DIR))));
    let worker: { baseUrl: string; stop(): Promise<void> };
    const inspectorPort = await freePort();
    if (via === "direct") {
      worker = await startDirectWorker({ root, dir: join(dir, "direct"), shared, releasePublicKeys, onLog: onWorkerLog, ...(inspect && { inspectorPort }) });
    } else {
      worker = await startWranglerDev({
        root, port: await freePort(), inspectorPort, varsFile: join(dir, "worker.vars"), persistTo: join(dir, "wrangler"), onOutput: onWorkerLog,
        vars: { DATABASE_URL: databaseUrl, ADMIN_TOKEN: shared.adminToken, PG_WS_PROXY: shared.wsProxy, RELEASE_PUBLIC_KEYS: releasePublicKeys },
      });
    }
    stops.push(() => worker.stop());
    let ingest: BenchEdge["ingest"];
    if (opts.ingest) ingest = await startIngestProcess({ root, dir: join(dir, "ingest"), shared, releasePublicKeys }, stops);
    const postmaster = Number(readFileSync(join(dir, "pg", "postmaster.pid"), "utf8").split("\n")[0]);
    return { via, stack: { ...shared, baseUrl: worker.baseUrl, stop }, pg, dir, postgres: { hugePages: pg.hugePages ?? false, pooler: pooler !== undefined }, pids: { postmaster, wsProxy: proxy.pid }, ...((inspect || via === "dev") && { inspectorPort }), ...(ingest && { ingest }), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The ingest Worker in a Node process of its own (ingest-worker-main.ts), as on Cloudflare, where
 * it runs on other machines: its process and that process's workerd are its pids.
 */
async function startIngestProcess(opts: Omit<DirectWorkerOptions, "onLog">, stops: (() => Promise<void>)[]): Promise<NonNullable<BenchEdge["ingest"]>> {
  mkdirSync(opts.dir, { recursive: true });
  const child = tsProcess("bench/lib/ingest-worker-main.ts", { args: [JSON.stringify(opts)] });
  stops.push(() => stopTsProcess(child, 5_000));
  const ready = new Promise<string>((res) => {
    let out = "";
    child.proc.stdout!.on("data", (d: Buffer) => {
      out += d;
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) res((JSON.parse(line) as { baseUrl: string }).baseUrl);
    });
  });
  const baseUrl = await Promise.race([ready, child.done.then(() => Promise.reject(new Error(`ingest Worker exited before it was ready: ${child.stderrTail()}`)))]);
  const pids = [child.pid, ...allProcesses().filter((p) => p.comm === "workerd" && p.ppid === child.pid).map((p) => p.pid)];
  return { baseUrl, pids };
}
