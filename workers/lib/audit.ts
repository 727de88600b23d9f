import { auditLog } from "../../schema/index.ts";
import type { Database } from "../db/client.ts";

export interface AuditEntry {
  tenantId: string;
  actor: string;
  action: string;
  target?: string;
  requestId: string;
  details?: Record<string, unknown>;
}

/** Appends to the audit log. Callers pass their transaction so the entry commits with the change. */
export async function audit(db: Pick<Database, "insert">, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({ ...entry, target: entry.target ?? "", details: entry.details ?? {} });
}
