import { parentPort, workerData } from "node:worker_threads";
import { loginLock } from "../providers/enventa/session-pool.ts";
import { adoptLoginState } from "../simulator/session.ts";
import { ErpDatabase } from "../simulator/store.ts";
import { createErpProvider } from "./erp-provider.ts";
import { CancelledError, errorFields } from "./errors.ts";
import { type FromIngestWorker, type IngestWorkerData, type ToIngestWorker, isIngestWorkerData } from "./ingest-messages.ts";
import { runIngest } from "./ingest-stream.ts";
import { keepNormalPriority, yieldToLiveWork } from "./thread-priority.ts";

/**
 * The ingest thread: sync streams read the ERP on sessions of their own and post their batches
 * from here, so turning rows into JSON, sending megabytes and collecting that garbage never
 * holds up the main thread, which answers live calls. Its ERP sessions log in through the
 * process's one login lock (enventa's Login() is not thread-safe in the whole process).
 */
export function runIngestWorker(): void {
  const port = parentPort;
  if (!port || !isIngestWorkerData(workerData)) throw new Error("runIngestWorker must run in the connector's ingest thread");
  const data: IngestWorkerData = workerData;
  const post = (m: FromIngestWorker) => port.postMessage(m);
  // Before any batch: from its first row on, a sync only gets the CPU live calls leave over.
  post({ type: "ready", ...(data.priority === "idle" ? yieldToLiveWork() : keepNormalPriority()) });
  adoptLoginState(data.erpLogin);
  loginLock.adopt(data.poolLogin);
  const erp = ErpDatabase.open(data.database);
  // One session per BusinessUnit: a tenant runs one sync at a time, its stages one after another.
  const provider = createErpProvider(erp, data.provider, 1);
  const running = new Map<number, AbortController>();

  const run = (msg: Extract<ToIngestWorker, { type: "run" }>) => {
    const controller = new AbortController();
    running.set(msg.id, controller);
    const { id, type: _type, ...req } = msg;
    // The thread's ERP figures (sessions, logins, calls) ride along, for the connector's heartbeat.
    runIngest(provider, req, controller.signal, (batches, rows) => post({ type: "progress", id, batches, rows, metrics: provider.metrics() }))
      .then(({ total, summary }) => post({ type: "done", id, total, summary, metrics: provider.metrics() }))
      .catch((err: unknown) => post({ type: "failed", id, error: errorFields(err), metrics: provider.metrics() }))
      .finally(() => running.delete(id));
  };

  const close = async () => {
    for (const c of running.values()) c.abort(new CancelledError("connector is shutting down"));
    await provider.close();
    erp.close();
    post({ type: "closed" });
    port.close();
  };

  port.on("message", (msg: ToIngestWorker) => {
    try {
      if (msg.type === "run") run(msg);
      else if (msg.type === "cancel") running.get(msg.id)?.abort(new CancelledError(msg.reason));
      else if (msg.type === "close") void close();
    } catch (err) {
      if (msg.type === "run") post({ type: "failed", id: msg.id, error: errorFields(err), metrics: provider.metrics() });
    }
  });
}
