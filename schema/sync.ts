import { sql } from "drizzle-orm";
import { bigint, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { tenantRef } from "./tenants.ts";

export const SYNC_MODES = ["incremental", "full"] as const;
export type SyncMode = (typeof SYNC_MODES)[number];
export type SyncStatus = "running" | "succeeded" | "failed" | "cancelled";
export interface SyncCursor {
  stage?: string;
  after?: Record<string, number>;
  /** Change horizon read when the articles stage began; child stages stream up to it. */
  horizon?: number;
  /**
   * The stage's current ingest stream: the connector posts its batches numbered from 0, and the
   * ingest route commits batch `seq + 1` only (so no batch is skipped or written twice). A new
   * drive of the run names a new stream, which fences off posts of the one before.
   */
  ingest?: IngestStream;
}

export interface IngestStream {
  stream: string;
  entity: string;
  /** Last batch committed; -1 before the first. */
  seq: number;
}

export const syncRuns = pgTable(
  "sync_runs",
  {
    tenantId: tenantRef(),
    runId: text("run_id").notNull(),
    mode: text("mode").$type<SyncMode>().notNull(),
    status: text("status").$type<SyncStatus>().notNull().default("running"),
    /** Current stage: articles, attributes, media, cross_references, categories, deletions. */
    stage: text("stage").notNull().default("pending"),
    trigger: text("trigger").$type<"cron" | "admin" | "resume">().notNull(),
    rowsDone: bigint("rows_done", { mode: "number" }).notNull().default(0),
    rowsTotal: bigint("rows_total", { mode: "number" }),
    errors: jsonb("errors").$type<{ at: string; message: string }[]>().notNull().default(sql`'[]'::jsonb`),
    /** Where the run is: stage, cursor per entity, the articles horizon that bounds child stages. */
    cursor: jsonb("cursor").$type<SyncCursor>().notNull().default(sql`'{}'::jsonb`),
    attempts: bigint("attempts", { mode: "number" }).notNull().default(0),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.runId] }),
    // At most one running run per tenant, whatever number of Workers race to start one.
    uniqueIndex("sync_runs_one_running_idx")
      .on(t.tenantId)
      .where(sql`${t.status} = 'running'`),
  ],
);

/** Per tenant and entity: the highest ERP rowversion whose batch has committed. */
export const syncCheckpoints = pgTable(
  "sync_checkpoints",
  {
    tenantId: tenantRef(),
    entity: text("entity").notNull(),
    rowversion: bigint("rowversion", { mode: "bigint" }).notNull().default(sql`0`),
    runId: text("run_id"),
    /** ERP change time of the newest row synced, for the per-entity lag. */
    newestChangeAt: timestamp("newest_change_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.entity] })],
);

/**
 * Article ids a full run has seen (narrow rows, so unchanged articles are not rewritten just to
 * mark them); what a full run did not see is gone from the ERP and is deleted at its end.
 */
export const syncSeen = pgTable(
  "sync_seen",
  {
    tenantId: tenantRef(),
    runId: text("run_id").notNull(),
    articleId: text("article_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.runId, t.articleId] })],
);
