import { auditLog } from "../../schema/index.ts";
import type { Database } from "../db/client.ts";

export interface AuditEntry {
  tenantId: string;
  actor: string;
  action: string;
  target?: string;
  requestId: string;
  details?: Record<string, unknown>;
  /** When it happened, if not now (entries written later from an outbox keep their time). */
  at?: Date;
}

const row = (entry: AuditEntry) => ({ ...entry, target: entry.target ?? "", details: entry.details ?? {} });

/** Appends to the audit log. Callers pass their transaction so the entry commits with the change. */
export async function audit(db: Pick<Database, "insert">, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values(row(entry));
}

/** Appends many entries in one statement (order events are flushed from the DO in batches). */
export async function auditMany(db: Pick<Database, "insert">, entries: AuditEntry[]): Promise<void> {
  if (entries.length > 0) await db.insert(auditLog).values(entries.map(row));
}
