import pg from "pg";
import { inject } from "vitest";
import type { LiveTenant } from "./tenant-fixture.ts";

/** The synced catalog the edge checks articles against (as a sync run would leave it). */
export async function seedCatalog(tenantId: string, ids: string[], url: string = inject("stackDatabaseUrl")): Promise<void> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    await db.query(
      `INSERT INTO articles (tenant_id, article_id, rowversion, article_number, name) SELECT $1, id, 1, 'SW-' || id, 'Artikel ' || id FROM unnest($2::text[]) AS id ON CONFLICT DO NOTHING`,
      [tenantId, ids],
    );
  } finally {
    await db.end();
  }
}

export interface ErpOrderRow {
  order_no: string | null;
  external_ref: string;
  customer_id: string;
  status: string;
  reject_reason: string | null;
}
/** Every order in the tenant's ERP, read from the simulator's own database. */
export const erpOrders = (t: LiveTenant): ErpOrderRow[] => t.erp.sql.prepare("SELECT order_no, external_ref, customer_id, status, reject_reason FROM orders ORDER BY id").all() as unknown as ErpOrderRow[];
