import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { INGEST_HEADERS } from "../../proto/tunnel.ts";
import { bundleConnector } from "../../scripts/release/build.ts";
import { loginLock } from "../providers/enventa/session-pool.ts";
import { EnventaSession, loginState, simStats } from "../simulator/session.ts";
import { ErpDatabase } from "../simulator/store.ts";
import { parseConnectorConfig } from "./config.ts";
import type { FromIngestWorker, IngestWorkerData, ToIngestWorker } from "./ingest-messages.ts";
import type { IngestRequest } from "./ingest-stream.ts";
import { IngestThread } from "./ingest-thread.ts";
import { silentLogger } from "./log.ts";
import { operation } from "./operations.ts";

const ARTICLES = 300;
let dir: string;
let erp: ErpDatabase;
let database: string;
const erpConfig = parseConnectorConfig({ tenantId: "t-ingest", connectorId: "c1", edgeUrl: "http://127.0.0.1:1", businessUnits: ["default"], erp: { database: "unused" } }).erp;
const provider = { erp: erpConfig, businessUnits: ["default", "werk-2"] };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "b2x-ingest-thread-"));
  database = join(dir, "erp.db");
  erp = ErpDatabase.create(database, { articles: ARTICLES, customers: 5, loginMs: 150 });
});
afterAll(() => {
  erp.close();
  rmSync(dir, { recursive: true, force: true });
});

// The edge's ingest route as far as a stream needs it: commits batches in order, can be slowed.
let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));
async function ingestRoute(delayMs = 0) {
  const posted: { seq: number; ids: string[] }[] = [];
  server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let text = "";
    for await (const chunk of req) text += chunk;
    posted.push({ seq: Number(req.headers[INGEST_HEADERS.seq]), ids: (JSON.parse(text) as { key: string }[]).map((r) => r.key) });
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "committed" }));
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/v1/connector/sync/ingest`, posted };
}

function articlesRequest(url: string, rowsPerPost = 100, businessUnit = "default"): IngestRequest {
  const payload = operation("pim.changes")!.schema.parse({ entity: "articles", after: 0, batchSize: 1000 });
  return { operation: "pim.changes", payload, ctx: { tenantId: "t-ingest", businessUnit, requestId: "req-1", priority: "background" }, target: { url, streamId: "s-1", token: "tok", rowsPerPost } };
}

/** A thread that is up and logged in for "default" only: a stream for "werk-2" logs in there at once. */
async function warmThread(url: string): Promise<IngestThread> {
  const thread = new IngestThread({ database, provider }, silentLogger);
  await thread.run(articlesRequest(url), new AbortController().signal, () => {});
  return thread;
}

const SCHED_OTHER = 0;
const SCHED_IDLE = 5;
/** A thread's scheduling policy as the kernel has it (field 41 of its stat line). */
function schedPolicy(tid: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
  // Fields from the 3rd on follow the command name, which may hold spaces or parentheses.
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[41 - 3]);
}

describe("IngestThread", () => {
  it("streams every article once from a thread of its own, progress in order, with the change horizon", async () => {
    const route = await ingestRoute();
    const thread = new IngestThread({ database, provider }, silentLogger);
    const loginsHere = simStats.logins;
    try {
      const progress: number[] = [];
      const out = await thread.run(articlesRequest(route.url), new AbortController().signal, (_b, rows) => progress.push(rows));
      expect(out.total).toBe(ARTICLES);
      const ids = route.posted.sort((a, b) => a.seq - b.seq).flatMap((p) => p.ids);
      expect(new Set(ids).size).toBe(ARTICLES);
      expect(ids.length).toBe(ARTICLES);
      expect(progress).toEqual([100, 200, 300]);
      expect(out.summary).toEqual({ horizon: erp.currentRowversion() });
      // The session that read them logged in on the other thread, not on this one.
      expect(simStats.logins).toBe(loginsHere);
      // Its ERP figures, for the heartbeat: one session, logged in once, the reads it made.
      expect(thread.metrics()).toMatchObject({ "sync.sessions": 1, "sync.logins": 1, "sync.errors": 0 });
      expect(thread.metrics()["sync.calls"]).toBeGreaterThanOrEqual(Math.ceil(ARTICLES / 64));
    } finally {
      await thread.close();
    }
  });

  it("logs in through the process's one login lock: a login on this thread and one there never overlap", async () => {
    const route = await ingestRoute();
    const thread = await warmThread(route.url);
    try {
      const here = loginLock.run(() => new EnventaSession(erp).login({ businessUnit: "default" }));
      // If the two logins overlapped, the simulator's process-wide flag would fail one of them.
      const [, out] = await Promise.all([here, thread.run(articlesRequest(route.url, 100, "werk-2"), new AbortController().signal, () => {})]);
      expect(out.total).toBe(ARTICLES);
    } finally {
      await thread.close();
    }
  });

  it("shares the simulator's login flag: a login there while one runs here is refused as enventa would", async () => {
    const route = await ingestRoute();
    const thread = await warmThread(route.url);
    try {
      // A login here that bypasses the pools' lock (as buggy code would): the thread sees the flag.
      const here = new EnventaSession(erp).login({ businessUnit: "default" });
      const there = thread.run(articlesRequest(route.url, 100, "werk-2"), new AbortController().signal, () => {});
      await expect(there).rejects.toMatchObject({ code: "login_in_progress", retryable: true });
      await here;
    } finally {
      await thread.close();
    }
  });

  it("rejects at once when cancelled, stops posting, and runs the next stream", async () => {
    const route = await ingestRoute(100);
    const thread = new IngestThread({ database, provider }, silentLogger);
    try {
      const controller = new AbortController();
      const first = thread.run(articlesRequest(route.url, 20), controller.signal, () => controller.abort(new Error("edge cancelled")));
      await expect(first).rejects.toThrow("edge cancelled");
      const postedAtCancel = route.posted.length;
      await new Promise((r) => setTimeout(r, 400));
      // At most the posts already on their way (two at once) arrive after the cancel.
      expect(route.posted.length).toBeLessThanOrEqual(postedAtCancel + 2);
      expect(route.posted.length).toBeLessThan(ARTICLES / 20);
      route.posted.length = 0;
      const second = await thread.run(articlesRequest(route.url), new AbortController().signal, () => {});
      expect(second.total).toBe(ARTICLES);
    } finally {
      await thread.close();
    }
  });

  it("fails a stream with a retryable error when its thread dies, and starts a new thread for the next", async () => {
    const route = await ingestRoute();
    const broken = new IngestThread({ database: join(dir, "missing", "erp.db"), provider }, silentLogger);
    await expect(broken.run(articlesRequest(route.url), new AbortController().signal, () => {})).rejects.toMatchObject({ code: "ingest_thread_lost", retryable: true });
    await broken.close();
    const thread = new IngestThread({ database, provider }, silentLogger);
    try {
      const signal = new AbortController().signal;
      const worker = () => (thread as unknown as { worker: Worker | undefined }).worker;
      const running = thread.run(articlesRequest(route.url), signal, () => {});
      await worker()!.terminate();
      await expect(running).rejects.toMatchObject({ code: "ingest_thread_lost", retryable: true });
      expect((await thread.run(articlesRequest(route.url), signal, () => {})).total).toBe(ARTICLES);
    } finally {
      await thread.close();
    }
  });

  it.runIf(process.platform === "linux")("runs below live work: SCHED_IDLE for its own thread, the main thread untouched", async () => {
    const route = await ingestRoute();
    const thread = await warmThread(route.url);
    try {
      const taken = thread.priority!;
      expect(taken).toMatchObject({ priority: "idle" });
      expect(taken.tid).not.toBe(process.pid);
      expect(schedPolicy(taken.tid!)).toBe(SCHED_IDLE);
      expect(schedPolicy(process.pid)).toBe(SCHED_OTHER);
    } finally {
      await thread.close();
    }
  });

  it.runIf(process.platform === "linux")("competes at normal priority when the config says so", async () => {
    const route = await ingestRoute();
    const thread = new IngestThread({ database, provider, priority: "normal" }, silentLogger);
    try {
      await thread.run(articlesRequest(route.url), new AbortController().signal, () => {});
      expect(thread.priority).toMatchObject({ priority: "normal", reason: "syncPriority is normal" });
      expect(schedPolicy(thread.priority!.tid!)).toBe(SCHED_OTHER);
    } finally {
      await thread.close();
    }
  });

  it("fails what is still running when closed", async () => {
    const route = await ingestRoute(200);
    const thread = new IngestThread({ database, provider }, silentLogger);
    const running = thread.run(articlesRequest(route.url, 10), new AbortController().signal, () => {});
    await new Promise((r) => setTimeout(r, 300));
    const failed = expect(running).rejects.toMatchObject({ code: "cancelled" });
    await thread.close();
    await failed;
  });
});

describe("the release bundle as the ingest thread", () => {
  it("runs a stream when started as a worker (main.ts branches on its worker data)", async () => {
    const outfile = join(dir, "connector.mjs");
    await bundleConnector({ entry: join(import.meta.dirname, "..", "main.ts"), outfile, version: "9.9.9" });
    const route = await ingestRoute();
    const data: IngestWorkerData = { role: "b2x-ingest", priority: "idle", database, provider, erpLogin: loginState(), poolLogin: loginLock.buffer };
    const worker = new Worker(outfile, { workerData: data, execArgv: [] });
    try {
      const done = new Promise<FromIngestWorker>((resolve, reject) => {
        worker.on("message", (m: FromIngestWorker) => (m.type === "done" || m.type === "failed") && resolve(m));
        worker.on("error", reject);
      });
      worker.postMessage({ type: "run", id: 1, ...articlesRequest(route.url) } satisfies ToIngestWorker);
      expect(await done).toMatchObject({ type: "done", id: 1, total: ARTICLES, summary: { horizon: erp.currentRowversion() } });
    } finally {
      await worker.terminate();
    }
  }, 60_000);
});
