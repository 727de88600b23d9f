import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { loginLock } from "../providers/enventa/session-pool.ts";
import { loginState } from "../simulator/session.ts";
import type { ErpProviderSettings } from "./erp-provider.ts";
import { CancelledError, ConnectorError } from "./errors.ts";
import type { FromIngestWorker, IngestWorkerData, ToIngestWorker } from "./ingest-messages.ts";
import type { IngestOutcome, IngestRequest, IngestRunner } from "./ingest-stream.ts";
import type { Logger } from "./log.ts";
import { hasConnectorNodeFlags } from "./node-flags.ts";
import { NOT_LOWERED, type PriorityTaken } from "./thread-priority.ts";

/** Set by the release build (scripts/release/build.ts): the connector runs as one bundled file. */
declare const __B2X_CONNECTOR_VERSION__: string | undefined;

/** How long `close` waits for the thread to log its sessions out before it is terminated. */
const CLOSE_TIMEOUT_MS = 5_000;

interface Pending {
  resolve(outcome: IngestOutcome): void;
  reject(err: Error): void;
  onCommitted(batches: number, rows: number): void;
  done(): void;
}

/**
 * The main thread's side of the ingest thread (ingest-worker.ts): started on the first sync
 * stream, it runs each stream there and relays progress, outcome and cancellation. A caller
 * never hangs on it: an abort rejects at once, and a thread that dies fails every stream it had
 * (retryable: the run resumes from its checkpoint) and is started afresh for the next.
 */
export class IngestThread implements IngestRunner {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** The thread's ERP figures as of its last message. */
  private lastMetrics: Record<string, number> = {};
  private started: PriorityTaken | undefined;

  constructor(
    private readonly settings: { database: string; provider: ErpProviderSettings; priority?: IngestWorkerData["priority"] },
    private readonly log: Logger,
  ) {}

  run(req: IngestRequest, signal: AbortSignal, onCommitted: (batches: number, rows: number) => void): Promise<IngestOutcome> {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise<IngestOutcome>((resolve, reject) => {
      const onAbort = () => {
        const reason = signal.reason as Error;
        this.settle(id)?.reject(reason);
        this.send(worker, { type: "cancel", id, reason: String(reason?.message ?? "cancelled") });
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, { resolve, reject, onCommitted, done: () => signal.removeEventListener("abort", onAbort) });
      this.send(worker, { type: "run", id, ...req });
    });
  }

  /** The CPU priority the running thread took, and its kernel thread id (undefined before it said so). */
  get priority(): PriorityTaken | undefined {
    return this.started;
  }

  /** The thread's ERP figures (sessions, logins, calls, queue depth) as `sync.<name>`. */
  metrics(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.lastMetrics).map(([k, v]) => [`sync.${k}`, v]));
  }

  /** Cancels what runs there, lets the thread log its ERP sessions out, and ends it. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(new CancelledError("connector is shutting down"));
    if (!worker) return;
    const exited = once(worker, "exit");
    this.send(worker, { type: "close" });
    const timer = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS);
    await exited.catch(() => {});
    clearTimeout(timer);
  }

  private start(): Worker {
    this.started = undefined;
    const data: IngestWorkerData = { role: "b2x-ingest", ...this.settings, priority: this.settings.priority ?? "idle", erpLogin: loginState(), poolLogin: loginLock.buffer };
    // execArgv [] : the thread loads what it needs itself, not the flags of whatever started us.
    const worker = new Worker(entry(), { workerData: data, execArgv: [], name: "b2x-ingest" });
    worker.on("message", (m: FromIngestWorker) => this.onMessage(m));
    worker.on("error", (err) => {
      this.log("error", "ingest thread failed", { error: String(err) });
      this.lost(worker, `ingest thread failed: ${err.message}`);
    });
    worker.on("exit", (code) => this.lost(worker, `ingest thread exited (code ${code})`));
    return worker;
  }

  private onMessage(m: FromIngestWorker): void {
    if (m.type === "closed") return;
    if (m.type === "ready") {
      const { type: _type, ...taken } = m;
      this.started = taken;
      // Without the flag, helpers collecting the thread's garbage run at normal priority (node-flags.ts).
      const gc = hasConnectorNodeFlags() ? "on its own thread" : "on shared helper threads (start node with --single-threaded-gc)";
      // Warn when asked to yield and it could not: live calls compete with syncs on this host.
      this.log(taken.priority === "normal" && taken.reason !== NOT_LOWERED ? "warn" : "info", "ingest thread started", { ...taken, gc });
      return;
    }
    this.lastMetrics = m.metrics;
    if (m.type === "progress") return this.pending.get(m.id)?.onCommitted(m.batches, m.rows);
    const p = this.settle(m.id);
    if (m.type === "done") p?.resolve({ total: m.total, summary: m.summary });
    else p?.reject(new ConnectorError(m.error.code, m.error.message, m.error.retryable));
  }

  /** A thread that is gone fails what it had; the next stream starts a new one. */
  private lost(worker: Worker, why: string): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.failAll(new ConnectorError("ingest_thread_lost", why, true));
  }

  private failAll(err: Error): void {
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(err);
  }

  /** Takes a stream out of the pending map (once), undoing its abort listener. */
  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    p.done();
    return p;
  }

  private send(worker: Worker, msg: ToIngestWorker): void {
    try {
      worker.postMessage(msg);
    } catch (err) {
      // Only a dead thread refuses a message; its exit handler fails the streams.
      this.log("warn", "ingest thread unreachable", { error: String(err) });
    }
  }
}

/** The thread's module: the release bundle runs itself (main.ts branches), otherwise tsx loads the TypeScript. */
function entry(): URL {
  return typeof __B2X_CONNECTOR_VERSION__ === "string" ? new URL(import.meta.url) : new URL("./ingest-worker-entry.mjs", import.meta.url);
}
