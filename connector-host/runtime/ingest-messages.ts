import type { ErpProviderSettings } from "./erp-provider.ts";
import type { ErrorFields } from "./errors.ts";
import type { IngestRequest } from "./ingest-stream.ts";
import type { PriorityTaken } from "./thread-priority.ts";

/** What the ingest thread is started with. */
export interface IngestWorkerData {
  /** Marks the release bundle's second start as this thread (see connector-host/main.ts). */
  role: "b2x-ingest";
  database: string;
  provider: ErpProviderSettings;
  /** `idle`: the thread lowers itself below live work (thread-priority.ts). */
  priority: "idle" | "normal";
  /** The process's ERP login state: the simulator's flag and the session pools' lock. */
  erpLogin: SharedArrayBuffer;
  poolLogin: SharedArrayBuffer;
}

/** Main thread → ingest thread. */
export type ToIngestWorker =
  | ({ type: "run"; id: number } & IngestRequest)
  | { type: "cancel"; id: number; reason: string }
  | { type: "close" };

/** Ingest thread → main thread. */
export type FromIngestWorker =
  | ({ type: "ready" } & PriorityTaken)
  | { type: "progress"; id: number; batches: number; rows: number; metrics: Record<string, number> }
  | { type: "done"; id: number; total: number; summary: unknown; metrics: Record<string, number> }
  | { type: "failed"; id: number; error: ErrorFields; metrics: Record<string, number> }
  | { type: "closed" };

export function isIngestWorkerData(data: unknown): data is IngestWorkerData {
  return typeof data === "object" && data !== null && (data as { role?: unknown }).role === "b2x-ingest";
}
