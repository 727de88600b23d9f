import type { Pool } from "@neondatabase/serverless";
import { ChunkValidationError, type SyncEntity, validateChunk } from "../../durable-objects/sync/rows.ts";
import { WriteBatch } from "../../durable-objects/sync/write-batch.ts";
import { SyncWriter } from "../../durable-objects/sync/writer.ts";
import type { SyncCursor, SyncMode } from "../../schema/sync.ts";
import { AppError } from "../errors.ts";

/** What the ingest route answers for a batch it took. */
export type IngestAnswer = { runId: string; seq: number } & (
  | { status: "committed"; rows: number; lastRowversion: number }
  /** Committed before (the connector retried a post whose answer it lost): nothing written. */
  | { status: "duplicate"; committedSeq: number }
);

interface RunningRun {
  runId: string;
  mode: SyncMode;
  cursor: SyncCursor;
}

const replaced = (stream: string) =>
  new AppError(409, "sync_stream_replaced", `Sync stream '${stream}' is not the one the tenant's running sync run drives (the run ended, or resumed with a new stream)`);

/**
 * Batch `seq` of a sync stream, posted by the tenant's connector: validated here, then written
 * with its checkpoint in one transaction (SyncWriter.writeBatch), so the tenant's TenantSession
 * only orchestrates the run and its one thread stays free for live calls. A batch that does not
 * validate fails the run, naming the row; nothing of it is written.
 */
export async function ingestBatch(pool: Pool, tenantId: string, stream: string, seq: number, rows: unknown[]): Promise<IngestAnswer> {
  const run = await runningRun(pool, tenantId);
  const current = run?.cursor.ingest;
  if (!run || current?.stream !== stream) throw replaced(stream);
  const { runId } = run;
  if (seq <= current.seq) return { status: "duplicate", runId, seq, committedSeq: current.seq };
  const entity = current.entity as SyncEntity;
  const batch = new WriteBatch(entity);
  try {
    batch.add(validateChunk(entity, rows));
  } catch (err) {
    if (!(err instanceof ChunkValidationError)) throw err;
    const message = `batch ${seq}: ${err.message}`;
    await failRun(pool, tenantId, run.runId, message);
    throw new AppError(422, "sync_batch_rejected", message);
  }
  const outcome = await new SyncWriter(pool, tenantId, run.runId, run.mode).writeBatch(batch, stream, seq);
  switch (outcome.kind) {
    case "committed":
      return { status: "committed", runId, seq, rows: outcome.rows, lastRowversion: outcome.lastRowversion };
    case "duplicate":
      return { status: "duplicate", runId, seq, committedSeq: outcome.committedSeq };
    case "out_of_order":
      throw new AppError(409, "sync_batch_out_of_order", `Batch ${seq} arrived before batch ${outcome.expectedSeq} committed; post it again after that one`, undefined, undefined, { expectedSeq: outcome.expectedSeq });
    case "replaced":
      throw replaced(stream);
  }
}

async function runningRun(pool: Pool, tenantId: string): Promise<RunningRun | undefined> {
  const r = await pool.query(`SELECT run_id, mode, cursor FROM sync_runs WHERE tenant_id = $1 AND status = 'running'`, [tenantId]);
  const row = r.rows[0] as { run_id: string; mode: SyncMode; cursor: SyncCursor } | undefined;
  return row && { runId: row.run_id, mode: row.mode, cursor: row.cursor };
}

/** Bad data in the ERP: retrying cannot help, so the run ends here with the row named. */
async function failRun(pool: Pool, tenantId: string, runId: string, message: string): Promise<void> {
  await pool.query(
    `UPDATE sync_runs SET status = 'failed', finished_at = now(), updated_at = now(),
       errors = errors || jsonb_build_array(jsonb_build_object('at', now()::text, 'message', $3::text))
     WHERE tenant_id = $1 AND run_id = $2 AND status = 'running'`,
    [tenantId, runId, message.slice(0, 1000)],
  );
}
