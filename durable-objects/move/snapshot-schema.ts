import { z } from "zod";

/**
 * The part of a TenantSession's SQLite that must survive a move between rings (each ring has its
 * own Durable Object namespace): the order outbox (pending orders and the history that status
 * lookups and replays need), the idempotency keys, order audit events not yet in Postgres, the
 * running sync run's id (its cursor lives in Postgres) and the fencing epoch. The live cache,
 * call metrics and presence are not carried: they rebuild themselves on the target.
 *
 * Rows travel with their stored column names and are validated on import (the admin API is a
 * trust boundary); the column lists of these schemas are the only SQL names snapshot.ts uses, never the input's keys.
 */
export const outboxRow = z.object({
  seq: z.number().int().positive(),
  order_id: z.string().min(1).max(64),
  customer_id: z.string().min(1).max(256),
  request_id: z.string().max(256),
  request: z.string().max(1_000_000),
  status: z.enum(["pending", "created", "rejected"]),
  erp_order_no: z.string().max(256).nullable(),
  erp_status: z.string().max(64).nullable(),
  reject_reason: z.string().max(1000).nullable(),
  total: z.number().nullable(),
  attempts: z.number().int().nonnegative(),
  next_attempt_at: z.number().int(),
  last_error: z.string().max(1000).nullable(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
}).strict();

export const keyRow = z.object({
  customer_id: z.string().min(1).max(256),
  key: z.string().min(1).max(256),
  fingerprint: z.string().max(128),
  order_id: z.string().min(1).max(64),
  receipt: z.string().max(100_000).nullable(),
  created_at: z.number().int(),
}).strict();

export const auditRow = z.object({ id: z.number().int().positive(), entry: z.string().max(100_000) }).strict();

export const snapshotPartSchema = z.object({
  outbox: z.array(outboxRow).max(10_000).default([]),
  idempotencyKeys: z.array(keyRow).max(10_000).default([]),
  orderAudit: z.array(auditRow).max(10_000).default([]),
  syncActive: z.object({ runId: z.string().min(1).max(128), mode: z.enum(["incremental", "full"]) }).strict().nullable().optional(),
  epoch: z.number().int().nonnegative().optional(),
}).strict();

export type SnapshotPart = z.output<typeof snapshotPartSchema>;
export type OutboxRow = z.output<typeof outboxRow>;
