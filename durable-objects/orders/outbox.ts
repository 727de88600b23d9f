import type { OrderRequest } from "../../schema/order-request.ts";
import type { OutboxOrder, OutboxStatus } from "./types.ts";

type Row = {
  seq: number;
  order_id: string;
  customer_id: string;
  request_id: string;
  request: string;
  status: string;
  erp_order_no: string | null;
  erp_status: string | null;
  reject_reason: string | null;
  total: number | null;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
};

const toOrder = (r: Row): OutboxOrder => ({
  orderId: r.order_id, seq: r.seq, customerId: r.customer_id, requestId: r.request_id, request: JSON.parse(r.request) as OrderRequest,
  status: r.status as OutboxStatus, erpOrderNo: r.erp_order_no, erpStatus: r.erp_status, rejectReason: r.reject_reason, total: r.total,
  attempts: r.attempts, nextAttemptAt: r.next_attempt_at, lastError: r.last_error, createdAt: r.created_at, updatedAt: r.updated_at,
});

/** Finished orders are kept this long for status lookups by the gateway's id. */
export const FINISHED_RETENTION_MS = 90 * 24 * 3600_000;

/**
 * Crockford base32 of the time and 80 random bits: unique without coordination (also across a
 * wiped object, whose old references still live in the ERP) and sortable by creation.
 */
export function newOrderId(now = Date.now()): string {
  const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  let time = "";
  for (let t = now, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = alphabet[t % 32] + time;
  const random = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => alphabet[b % 32]).join("");
  return `ord_${time}${random}`;
}

/** The ERP's external reference of an order: unique per order, so a resend is recognised. */
export const externalRefOf = (orderId: string): string => `B2X-${orderId}`;
export const orderIdOfExternalRef = (ref: string): string | undefined => (ref.startsWith("B2X-ord_") ? ref.slice(4) : undefined);

/**
 * The order outbox in the TenantSession's SQLite. An order is written here before anything is
 * sent to the ERP, so an accepted order survives a crash of the object, the connector or the
 * request; delivery (at least once, with the ERP deduplicating by external reference) works
 * from these rows only.
 */
export class Outbox {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS order_outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL UNIQUE, customer_id TEXT NOT NULL, request_id TEXT NOT NULL,
      request TEXT NOT NULL, status TEXT NOT NULL, erp_order_no TEXT, erp_status TEXT, reject_reason TEXT, total REAL,
      attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, last_error TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`);
    sql.exec(`CREATE INDEX IF NOT EXISTS order_outbox_due ON order_outbox (status, next_attempt_at)`);
    sql.exec(`CREATE INDEX IF NOT EXISTS order_outbox_erp_no ON order_outbox (erp_order_no)`);
  }

  /** A new pending order; `firstAttemptAt` is when the alarm should try it if nothing else does. */
  add(orderId: string, customerId: string, requestId: string, request: OrderRequest, now: number, firstAttemptAt: number): OutboxOrder {
    this.sql.exec(
      `INSERT INTO order_outbox (order_id, customer_id, request_id, request, status, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)`,
      orderId, customerId, requestId, JSON.stringify(request), firstAttemptAt, now, now,
    );
    return this.get(orderId)!;
  }

  get(orderId: string): OutboxOrder | undefined {
    const r = this.sql.exec<Row>(`SELECT * FROM order_outbox WHERE order_id = ?`, orderId).toArray()[0];
    return r ? toOrder(r) : undefined;
  }

  byErpOrderNo(orderNo: string): OutboxOrder | undefined {
    const r = this.sql.exec<Row>(`SELECT * FROM order_outbox WHERE erp_order_no = ?`, orderNo).toArray()[0];
    return r ? toOrder(r) : undefined;
  }

  /** Pending orders after `afterSeq` in the order they were placed; `dueBy` limits to those due. */
  pending(afterSeq: number, limit: number, dueBy?: number): OutboxOrder[] {
    const rows = dueBy === undefined
      ? this.sql.exec<Row>(`SELECT * FROM order_outbox WHERE status = 'pending' AND seq > ? ORDER BY seq LIMIT ?`, afterSeq, limit)
      : this.sql.exec<Row>(`SELECT * FROM order_outbox WHERE status = 'pending' AND seq > ? AND next_attempt_at <= ? ORDER BY seq LIMIT ?`, afterSeq, dueBy, limit);
    return rows.toArray().map(toOrder);
  }

  /** The earliest time a pending order wants its next attempt. */
  nextAttemptAt(): number | undefined {
    return this.sql.exec<{ at: number | null }>(`SELECT min(next_attempt_at) AS at FROM order_outbox WHERE status = 'pending'`).one().at ?? undefined;
  }

  counts(): Record<OutboxStatus, number> {
    const out: Record<OutboxStatus, number> = { pending: 0, created: 0, rejected: 0 };
    for (const r of this.sql.exec<{ status: string; n: number }>(`SELECT status, count(*) AS n FROM order_outbox GROUP BY status`)) out[r.status as OutboxStatus] = r.n;
    return out;
  }

  /** An attempt starts: counted, and re-tried at `watchdogAt` should this object die during it. */
  attempting(orderId: string, now: number, watchdogAt: number): void {
    this.sql.exec(`UPDATE order_outbox SET attempts = attempts + 1, next_attempt_at = ?, updated_at = ? WHERE order_id = ?`, watchdogAt, now, orderId);
  }

  markCreated(orderId: string, erpOrderNo: string, erpStatus: string, total: number | null, now: number): void {
    this.sql.exec(
      `UPDATE order_outbox SET status = 'created', erp_order_no = ?, erp_status = ?, total = ?, last_error = NULL, updated_at = ? WHERE order_id = ?`,
      erpOrderNo, erpStatus, total, now, orderId,
    );
  }

  markRejected(orderId: string, reason: string, now: number): void {
    this.sql.exec(`UPDATE order_outbox SET status = 'rejected', reject_reason = ?, updated_at = ? WHERE order_id = ?`, reason.slice(0, 1000), now, orderId);
  }

  markRetry(orderId: string, error: string, nextAttemptAt: number, now: number): void {
    this.sql.exec(`UPDATE order_outbox SET last_error = ?, next_attempt_at = ?, updated_at = ? WHERE order_id = ? AND status = 'pending'`, error.slice(0, 1000), nextAttemptAt, now, orderId);
  }

  /** Last known ERP status of a created order (from a live lookup). */
  noteErpStatus(orderId: string, erpStatus: string): void {
    this.sql.exec(`UPDATE order_outbox SET erp_status = ? WHERE order_id = ? AND status = 'created'`, erpStatus, orderId);
  }

  /** Forgets finished orders past their retention; pending ones are never dropped. */
  prune(now: number): number {
    return this.sql.exec(`DELETE FROM order_outbox WHERE status <> 'pending' AND updated_at < ?`, now - FINISHED_RETENTION_MS).rowsWritten;
  }
}
