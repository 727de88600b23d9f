import type { Pool } from "@neondatabase/serverless";
import { INGEST_PATH } from "../../proto/tunnel.ts";
import type { SyncCursor, SyncMode } from "../../schema/sync.ts";
import type { TenantConfig } from "../../schema/tenant-config.ts";
import { openDatabase } from "../../workers/db/client.ts";
import { warmSummaries } from "../../workers/search/summaries.ts";
import type { Logger } from "../../workers/lib/log.ts";
import type { AlarmSchedule } from "../alarms.ts";
import type { CallDispatcher } from "../calls/dispatcher.ts";
import { STAGES, type SyncEntity } from "./rows.ts";
import { SyncWriter } from "./writer.ts";

export interface StartResult {
  runId: string;
  mode: SyncMode;
  /** False when a run was already going: the trigger joined it. */
  started: boolean;
}

interface ActiveRun {
  runId: string;
  mode: SyncMode;
}

/** A stream that says nothing for this long is considered broken. */
const STREAM_SILENCE_MS = 120_000;
const MAX_ATTEMPTS = 20;
/** How soon a run resumes after its object restarted mid-run. */
const WATCHDOG_MS = 5_000;
/**
 * Time a sync may spend after its commit computing search summaries again (used queries, common
 * words, category pages; rolling one forward is cheaper and not bounded by it). At 1.5M
 * articles a first full run's ~80 common words and ~300 category pages take about a minute.
 */
const SEARCH_WARM_BUDGET_MS = 120_000;

/**
 * Orchestrates master-data sync runs for the tenant: one run at a time (DO SQLite and a partial
 * unique index in Postgres, so racing Workers cannot start two), stages in order, each streamed
 * from the connector with credit and written batch by batch with its checkpoint. A DO alarm
 * keeps the run going: after a dropped connector, a DO restart or a Postgres error it resumes
 * from the run's cursor in Postgres.
 */
export class SyncRunner {
  private driving: Promise<void> | undefined;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Env,
    private readonly dispatcher: CallDispatcher,
    /** The object's one alarm, shared with order delivery. */
    private readonly alarms: AlarmSchedule,
    private readonly tenant: () => { tenantId: string; config: TenantConfig } | undefined,
    private readonly log: () => Logger,
  ) {
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS sync_active (id INTEGER PRIMARY KEY CHECK (id = 1), run_id TEXT NOT NULL, mode TEXT NOT NULL)`);
  }

  private active(): ActiveRun | undefined {
    const r = this.ctx.storage.sql.exec<{ run_id: string; mode: string }>(`SELECT run_id, mode FROM sync_active WHERE id = 1`).toArray()[0];
    return r ? { runId: r.run_id, mode: r.mode as SyncMode } : undefined;
  }

  /** Starts a run, or joins the one that is going. */
  async start(mode: SyncMode, trigger: "cron" | "admin"): Promise<StartResult> {
    const current = this.active();
    if (current) return { ...current, started: false };
    const tenant = this.tenant();
    if (!tenant) throw new Error("tenant session has no tenant yet");
    const { pool } = openDatabase(this.env);
    try {
      const runId = `run-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
      const inserted = await pool.query(
        `INSERT INTO sync_runs (tenant_id, run_id, mode, status, stage, trigger) VALUES ($1, $2, $3, 'running', 'pending', $4) ON CONFLICT DO NOTHING RETURNING run_id`,
        [tenant.tenantId, runId, mode, trigger],
      );
      if (inserted.rowCount === 0) {
        // Another Worker/DO instance won the race (or an earlier run is still marked running).
        const running = await pool.query(`SELECT run_id, mode FROM sync_runs WHERE tenant_id = $1 AND status = 'running' LIMIT 1`, [tenant.tenantId]);
        const r = running.rows[0] as { run_id: string; mode: SyncMode } | undefined;
        if (r) {
          this.remember(r.run_id, r.mode);
          await this.alarms.set("sync", Date.now() + 100);
          return { runId: r.run_id, mode: r.mode, started: false };
        }
        throw new Error("could not start a sync run");
      }
      this.remember(runId, mode);
      this.log()("info", "sync run started", { runId, mode, trigger });
      await this.alarms.set("sync", Date.now() + 10);
      return { runId, mode, started: true };
    } finally {
      await pool.end();
    }
  }

  private remember(runId: string, mode: SyncMode): void {
    this.ctx.storage.sql.exec(`INSERT INTO sync_active (id, run_id, mode) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET run_id = excluded.run_id, mode = excluded.mode`, runId, mode);
  }

  private forget(): void {
    this.ctx.storage.sql.exec(`DELETE FROM sync_active`);
  }

  /**
   * The alarm is the run's watchdog: while a drive is going in this object it only re-arms
   * itself; if the object restarted (drive lost), it starts a new drive from the cursor.
   */
  async onAlarm(): Promise<void> {
    const run = this.active();
    if (!run) return;
    await this.alarms.set("sync", Date.now() + WATCHDOG_MS);
    if (this.driving) return;
    this.driving = this.drive(run).finally(() => {
      this.driving = undefined;
    });
  }

  private async drive(run: ActiveRun): Promise<void> {
    const tenant = this.tenant();
    if (!tenant) return;
    // While the run goes on, the watchdog alarm stays armed: if this object dies, it resumes.
    await this.alarms.set("sync", Date.now() + WATCHDOG_MS);
    const { pool } = openDatabase(this.env);
    const log = this.log();
    try {
      const state = await pool.query(`SELECT status, cursor, attempts FROM sync_runs WHERE tenant_id = $1 AND run_id = $2`, [tenant.tenantId, run.runId]);
      const row = state.rows[0] as { status: string; cursor: SyncCursor; attempts: string | number } | undefined;
      if (!row || row.status !== "running") {
        this.forget();
        return;
      }
      const cursor: SyncCursor = row.cursor ?? {};
      if (!cursor.after) cursor.after = run.mode === "full" ? {} : await this.checkpoints(pool, tenant.tenantId);
      const writer = new SyncWriter(pool, tenant.tenantId, run.runId, run.mode);
      const startIndex = Math.max(0, STAGES.indexOf((cursor.stage ?? "articles") as SyncEntity));
      for (const entity of STAGES.slice(startIndex)) {
        await this.stage(writer, entity, cursor, tenant.config);
      }
      const { deleted, catalogVersion } = await writer.finish();
      this.forget();
      await this.alarms.clear("sync");
      log("info", "sync run succeeded", { runId: run.runId, mode: run.mode, deleted, catalogVersion });
      this.warmSearch(tenant.tenantId, catalogVersion, run.runId);
    } catch (err) {
      await this.failOrRetry(pool, tenant.tenantId, run, err);
    } finally {
      await pool.end().catch(() => {});
    }
  }

  /**
   * Carries the search summaries the storefront used before this commit over (hottest first;
   * rolled forward with the run's changes where it can), so broad queries are fast again right
   * after a sync; in the background, bounded in time.
   */
  private warmSearch(tenantId: string, version: number, runId: string): void {
    const log = this.log();
    const handle = openDatabase(this.env);
    const started = Date.now();
    warmSummaries(handle.db, tenantId, { from: version - 1, to: version, budgetMs: SEARCH_WARM_BUDGET_MS, runId })
      .then((r) => log("info", "search summaries carried over", { catalogVersion: version, ...r, ms: Date.now() - started }))
      .catch((err: unknown) => log("warn", "search summaries not carried over", { error: String(err) }))
      .finally(() => handle.pool.end().catch(() => {}));
  }

  private async checkpoints(pool: Pool, tenantId: string): Promise<Record<string, number>> {
    const r = await pool.query(`SELECT entity, rowversion FROM sync_checkpoints WHERE tenant_id = $1`, [tenantId]);
    return Object.fromEntries((r.rows as { entity: string; rowversion: string }[]).map((x) => [x.entity, Number(x.rowversion)]));
  }

  /**
   * Streams one entity from its cursor. The connector posts the batches to the ingest route,
   * which validates and writes each with its checkpoint (workers/sync/ingest.ts); this object
   * names the stream, waits for its end and reads where it got to. So the bulk of a sync never
   * runs on this object's one thread, which live calls of the tenant need.
   */
  private async stage(writer: SyncWriter, entity: SyncEntity, cursor: SyncCursor, config: TenantConfig): Promise<void> {
    if (entity === "attributes" && writer.mode === "full" && cursor.horizon !== undefined) {
      // A full run wrote every article with its current attributes inline: all attribute
      // changes up to the horizon are in, so the stage is only its checkpoint.
      await writer.advanceCheckpoint("attributes", cursor.horizon);
      return this.completeStage(writer, entity, cursor, 0, Date.now());
    }
    if (entity === "articles" && cursor.horizon === undefined) await this.fixHorizon(writer, cursor, config);
    // Child rows go only up to the horizon read before the articles stage, so no child arrives
    // before its article; later ones wait for the next run.
    const until = entity === "articles" || entity === "categories" ? undefined : cursor.horizon;
    // A new stream for every drive of the stage: posts of an earlier one (this object restarted,
    // or the connector reconnected) are refused from now on.
    const streamId = crypto.randomUUID();
    cursor.stage = entity;
    cursor.ingest = { stream: streamId, entity, seq: -1 };
    await writer.saveCursor(cursor);
    const started = Date.now();
    const after = cursor.after?.[entity] ?? 0;
    const ended = await this.dispatcher.stream(
      {
        operation: "pim.changes",
        businessUnit: config.erpProvider.businessUnits[0]!,
        payload: () => ({ entity, after, batchSize: config.erpProvider.syncBatchSize, ...(until !== undefined && { until }), withAttributes: entity === "articles" }),
        safe: true,
        priority: "background",
        deadlineMs: STREAM_SILENCE_MS,
        requestId: writer.runId,
        ingest: { path: INGEST_PATH, streamId, rowsPerPost: config.erpProvider.syncBatchSize },
      },
      { initialCredit: 0 },
    );
    // The ingest route moved the cursor batch by batch; continue from what it committed.
    Object.assign(cursor, await writer.readCursor());
    await this.completeStage(writer, entity, cursor, ended.totalRows, started);
  }

  /**
   * Reads the ERP's change horizon before the first article is streamed and keeps it with the
   * run (also across resumes): every article written afterwards carries attributes at least as
   * new as the horizon, and child rows up to it belong to articles already written.
   */
  private async fixHorizon(writer: SyncWriter, cursor: SyncCursor, config: TenantConfig): Promise<void> {
    const out = (await this.dispatcher.submit({
      operation: "pim.horizon", businessUnit: config.erpProvider.businessUnits[0]!, payload: () => ({}), safe: true, priority: "background", deadlineMs: 30_000, requestId: writer.runId,
    })) as { horizon: number; articles?: number };
    if (!Number.isSafeInteger(out?.horizon) || out.horizon < 0) throw new Error("connector returned no valid change horizon");
    cursor.horizon = out.horizon;
    // A full run's size is known up front (articles, then their media and cross-reference
    // sets): an upper bound that makes rate and ETA meaningful. Incremental sizes are not.
    const total = writer.mode === "full" && Number.isSafeInteger(out.articles) ? out.articles! * 3 : undefined;
    await writer.saveCursor(cursor, total);
  }

  /** Records the stage as complete (and the horizon) before moving on. */
  private async completeStage(writer: SyncWriter, entity: SyncEntity, cursor: SyncCursor, rows: number, started: number): Promise<void> {
    cursor.stage = STAGES[STAGES.indexOf(entity) + 1] ?? "finishing";
    delete cursor.ingest;
    await writer.saveCursor(cursor);
    this.log()("info", "sync stage done", { runId: writer.runId, entity, rows, ms: Date.now() - started });
  }

  private async failOrRetry(pool: Pool, tenantId: string, run: ActiveRun, err: unknown): Promise<void> {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    try {
      // Only a running run: one the ingest route failed (a batch that does not validate, which no
      // retry can mend) already carries the error that names the row.
      const r = await pool.query(
        `UPDATE sync_runs SET attempts = attempts + 1, errors = (errors || jsonb_build_array(jsonb_build_object('at', now()::text, 'message', $3::text)))
           , status = CASE WHEN attempts + 1 >= $4 THEN 'failed' ELSE status END
           , finished_at = CASE WHEN attempts + 1 >= $4 THEN now() ELSE finished_at END, updated_at = now()
         WHERE tenant_id = $1 AND run_id = $2 AND status = 'running' RETURNING status, attempts`,
        [tenantId, run.runId, message.slice(0, 1000), MAX_ATTEMPTS],
      );
      const row = r.rows[0] as { status: string; attempts: string } | undefined;
      if (!row || row.status !== "running") {
        this.forget();
        await this.alarms.clear("sync");
        this.log()("error", "sync run failed", { runId: run.runId, error: message });
        return;
      }
      const delay = Math.min(60_000, 1_000 * 2 ** Math.min(6, Number(row.attempts)));
      this.log()("warn", "sync run interrupted; resuming from its checkpoint", { runId: run.runId, error: message, retryInMs: delay });
      await this.alarms.set("sync", Date.now() + delay);
    } catch (inner) {
      // Postgres itself is down: try again later, the run's state in Postgres is unchanged.
      this.log()("warn", "sync run interrupted and Postgres unreachable; retrying", { runId: run.runId, error: message, inner: String(inner) });
      await this.alarms.set("sync", Date.now() + 10_000);
    }
  }
}
