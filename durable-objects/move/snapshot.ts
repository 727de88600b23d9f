import type { z } from "zod";
import { type OutboxRow, type SnapshotPart, keyRow, outboxRow } from "./snapshot-schema.ts";

/** Reading and writing the carried tables of a TenantSession (see snapshot-schema.ts for what travels). */
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
