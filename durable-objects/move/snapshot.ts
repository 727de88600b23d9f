import { z } from "zod";

/**
 * The part of a TenantSession's SQLite that must survive a move between rings (each ring has its
 * own Durable Object namespace): the order outbox (pending orders and the history that status
 * lookups and replays need), the idempotency keys, order audit events not yet in Postgres, the
 * running sync run's id (its cursor lives in Postgres) and the fencing epoch. The live cache,
 * call metrics and presence are not carried: they rebuild themselves on the target.
 *
 * Rows travel with their stored column names and are validated on import (the admin API is a
 * trust boundary); the column lists below are the only SQL names used, never the input's keys.
 */
const outboxRow = z.object({
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

const keyRow = z.object({
  customer_id: z.string().min(1).max(256),
  key: z.string().min(1).max(256),
  fingerprint: z.string().max(128),
  order_id: z.string().min(1).max(64),
  receipt: z.string().max(100_000).nullable(),
  created_at: z.number().int(),
}).strict();

const auditRow = z.object({ id: z.number().int().positive(), entry: z.string().max(100_000) }).strict();

export const snapshotPartSchema = z.object({
  outbox: z.array(outboxRow).max(10_000).default([]),
  idempotencyKeys: z.array(keyRow).max(10_000).default([]),
  orderAudit: z.array(auditRow).max(10_000).default([]),
  syncActive: z.object({ runId: z.string().min(1).max(128), mode: z.enum(["incremental", "full"]) }).strict().nullable().optional(),
  epoch: z.number().int().nonnegative().optional(),
}).strict();

export type SnapshotPart = z.output<typeof snapshotPartSchema>;
export type OutboxRow = z.output<typeof outboxRow>;

const OUTBOX_COLUMNS = Object.keys(outboxRow.shape) as (keyof OutboxRow)[];
const KEY_COLUMNS = Object.keys(keyRow.shape) as (keyof z.output<typeof keyRow>)[];

/** The carried tables, whole. Read in one synchronous pass: nothing interleaves inside the object. */
export function exportSnapshot(sql: SqlStorage): Required<SnapshotPart> {
  const rows = <T>(q: string) => sql.exec(q).toArray() as unknown as T[];
  const active = sql.exec<{ run_id: string; mode: string }>(`SELECT run_id, mode FROM sync_active WHERE id = 1`).toArray()[0];
  const epoch = sql.exec<{ value: number }>(`SELECT value FROM epochs WHERE id = 1`).toArray()[0]?.value ?? 0;
  return {
    outbox: rows<OutboxRow>(`SELECT ${OUTBOX_COLUMNS.join(", ")} FROM order_outbox ORDER BY seq`),
    idempotencyKeys: rows(`SELECT ${KEY_COLUMNS.join(", ")} FROM idempotency_keys ORDER BY created_at`),
    orderAudit: rows(`SELECT id, entry FROM order_audit ORDER BY id`),
    syncActive: active ? { runId: active.run_id, mode: active.mode as "incremental" | "full" } : null,
    epoch,
  };
}

/** Empties the carried tables (a target's leftovers from an earlier stay are stale by definition). */
export function resetCarried(sql: SqlStorage): void {
  for (const table of ["order_outbox", "idempotency_keys", "order_audit", "sync_active"]) sql.exec(`DELETE FROM ${table}`);
}

/** Writes one part of a snapshot (parts may repeat: rows are replaced by their keys). */
export function importPart(sql: SqlStorage, part: SnapshotPart): { outbox: number; idempotencyKeys: number; orderAudit: number } {
  const place = (n: number) => Array.from({ length: n }, () => "?").join(", ");
  for (const r of part.outbox) {
    sql.exec(`INSERT OR REPLACE INTO order_outbox (${OUTBOX_COLUMNS.join(", ")}) VALUES (${place(OUTBOX_COLUMNS.length)})`, ...OUTBOX_COLUMNS.map((c) => r[c]));
  }
  for (const r of part.idempotencyKeys) {
    sql.exec(`INSERT OR REPLACE INTO idempotency_keys (${KEY_COLUMNS.join(", ")}) VALUES (${place(KEY_COLUMNS.length)})`, ...KEY_COLUMNS.map((c) => r[c]));
  }
  for (const r of part.orderAudit) sql.exec(`INSERT OR REPLACE INTO order_audit (id, entry) VALUES (?, ?)`, r.id, r.entry);
  if (part.syncActive) {
    sql.exec(`INSERT INTO sync_active (id, run_id, mode) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET run_id = excluded.run_id, mode = excluded.mode`, part.syncActive.runId, part.syncActive.mode);
  }
  if (part.epoch !== undefined) {
    // Fencing epochs only grow, also across rings: a connection's epoch on the target is above any it had before.
    sql.exec(`INSERT INTO epochs (id, value) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET value = max(value, excluded.value)`, part.epoch);
  }
  return { outbox: part.outbox.length, idempotencyKeys: part.idempotencyKeys.length, orderAudit: part.orderAudit.length };
}

/** What a drain reports: what is still waiting, so the operator knows what travels. */
export function pendingSummary(snapshot: Required<SnapshotPart>): { pendingOrders: number; orders: number; idempotencyKeys: number; auditBacklog: number; syncRun: string | null } {
  return {
    pendingOrders: snapshot.outbox.filter((o) => o.status === "pending").length,
    orders: snapshot.outbox.length,
    idempotencyKeys: snapshot.idempotencyKeys.length,
    auditBacklog: snapshot.orderAudit.length,
    syncRun: snapshot.syncActive?.runId ?? null,
  };
}
