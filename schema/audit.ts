import { sql } from "drizzle-orm";
import { bigint, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/** Platform-level actions (e.g. creating a tenant) are logged under this pseudo-tenant. */
export const SYSTEM_TENANT = "_system";

/** Append-only log of admin and order actions, with the request id that caused them. */
export const auditLog = pgTable(
  "audit_log",
  {
    // No foreign key: the log outlives a deleted tenant.
    tenantId: text("tenant_id").notNull(),
    eventId: bigint("event_id", { mode: "number" }).generatedAlwaysAsIdentity(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    target: text("target").notNull().default(""),
    requestId: text("request_id").notNull(),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.eventId] })],
);
