import type { Provider, TenantContext } from "../providers/contracts.ts";
import { ConnectorError } from "./errors.ts";
import { type IngestTarget, IngestPoster } from "./ingest-poster.ts";
import { type OperationName, operation } from "./operations.ts";

/** A stream whose batches the connector posts to the edge's ingest route (proto StreamIngest). */
export interface IngestRequest {
  operation: OperationName;
  /** Already validated against the operation's schema. */
  payload: unknown;
  ctx: Omit<TenantContext, "signal">;
  target: IngestTarget;
}

export interface IngestOutcome {
  /** Rows the edge committed. */
  total: number;
  /** The operation's summary (e.g. the change horizon), read before the stream began. */
  summary: unknown;
}

/** Runs ingest streams somewhere: on the calling thread, or on a thread of their own. */
export interface IngestRunner {
  /** Until the edge has committed every batch; `onCommitted` after each, in order. Rejects when `signal` aborts. */
  run(req: IngestRequest, signal: AbortSignal, onCommitted: (batches: number, rows: number) => void): Promise<IngestOutcome>;
  /** ERP figures of sessions of its own, if it has any (keys prefixed `sync.`), for the heartbeat. */
  metrics(): Record<string, number>;
  close(): Promise<void>;
}

/** One ingest stream through `provider`, on this thread. */
export async function runIngest(provider: Provider, req: IngestRequest, signal: AbortSignal, onCommitted: (batches: number, rows: number) => void): Promise<IngestOutcome> {
  const op = operation(req.operation);
  if (op?.kind !== "stream") throw new ConnectorError("bad_request", `operation '${req.operation}' does not stream`);
  const ctx: TenantContext = { ...req.ctx, signal };
  const summary = op.summary ? await op.summary(provider, ctx, req.payload) : undefined;
  const poster = new IngestPoster(req.target, signal, onCommitted);
  for await (const batch of op.run(provider, ctx, req.payload)) {
    if (signal.aborted) throw signal.reason;
    await poster.add(batch);
  }
  return { total: await poster.finish(), summary };
}

/** Ingest streams on the calling thread (where no ERP database file can be opened again). */
export function inlineIngest(provider: Provider): IngestRunner {
  return { run: (req, signal, onCommitted) => runIngest(provider, req, signal, onCommitted), metrics: () => ({}), close: async () => {} };
}
