import { sql } from "drizzle-orm";
import { jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { tenantRef } from "./tenants.ts";

/** Presence of each on-prem connector (replica) of a tenant, as last reported to the edge. */
export const connectors = pgTable(
  "connectors",
  {
    tenantId: tenantRef(),
    connectorId: text("connector_id").notNull(),
    version: text("version").notNull().default(""),
    capabilities: jsonb("capabilities").$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    businessUnits: jsonb("business_units").$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    /** Last heartbeat metrics (queue depth, calls, errors, sessions). */
    metrics: jsonb("metrics").$type<Record<string, number>>().notNull().default(sql`'{}'::jsonb`),
    status: text("status").$type<"online" | "offline">().notNull().default("offline"),
    firstSeenAt: timestamp("first_seen_at", { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.connectorId] })],
);
