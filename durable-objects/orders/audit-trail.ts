import { openDatabase } from "../../workers/db/client.ts";
import { type AuditEntry, auditMany } from "../../workers/lib/audit.ts";
import type { Logger } from "../../workers/lib/log.ts";

export type OrderAuditAction = "order.accepted" | "order.queued" | "order.created" | "order.rejected";

type Pending = {
  id: number;
  entry: string;
};

/** An entry as kept in SQLite until it is in Postgres (the tenant is added when copied). */
type StoredEntry = Required<Omit<AuditEntry, "tenantId" | "at">> & { at: string };

const BATCH = 500;
/** Events are collected this long so a burst (a drained backlog) is one INSERT, not hundreds. */
const FLUSH_DELAY_MS = 200;

/**
 * Order events for the Postgres audit log. They are written to the object's SQLite together with
 * the outbox change they describe (so none is lost when the object dies), then copied to Postgres
 * in batches and deleted here. Copying is at least once: an entry may appear twice if the object
 * dies between the INSERT and the DELETE, never zero times.
 */
export class OrderAuditTrail {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
    private readonly tenantId: () => string | undefined,
    private readonly log: () => Logger,
  ) {
    sql.exec(`CREATE TABLE IF NOT EXISTS order_audit (id INTEGER PRIMARY KEY AUTOINCREMENT, entry TEXT NOT NULL)`);
  }

  record(action: OrderAuditAction, e: { customerId: string; orderId: string; requestId: string; details?: Record<string, unknown> }): void {
    const entry: StoredEntry = {
      actor: `customer:${e.customerId}`, action, target: e.orderId, requestId: e.requestId, details: e.details ?? {}, at: new Date().toISOString(),
    };
    this.sql.exec(`INSERT INTO order_audit (entry) VALUES (?)`, JSON.stringify(entry));
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, FLUSH_DELAY_MS);
  }

  get backlog(): number {
    return this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM order_audit`).one().n;
  }

  /** Copies what is waiting to Postgres; a failure leaves it for the next flush (the alarm retries). */
  flush(): Promise<void> {
    this.flushing ??= this.copy().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async copy(): Promise<void> {
    const tenantId = this.tenantId();
    if (!tenantId || !this.env.DATABASE_URL) return;
    for (;;) {
      const rows = this.sql.exec<Pending>(`SELECT id, entry FROM order_audit ORDER BY id LIMIT ?`, BATCH).toArray();
      if (rows.length === 0) return;
      const entries = rows.map((r) => {
        const e = JSON.parse(r.entry) as StoredEntry;
        return { ...e, tenantId, at: new Date(e.at) };
      });
      const { db, pool } = openDatabase(this.env);
      try {
        await auditMany(db, entries);
      } catch (err) {
        this.log()("warn", "order audit events not yet written to Postgres; will retry", { pending: this.backlog, error: String(err) });
        return;
      } finally {
        await pool.end().catch(() => {});
      }
      this.sql.exec(`DELETE FROM order_audit WHERE id <= ?`, rows[rows.length - 1]!.id);
    }
  }
}
