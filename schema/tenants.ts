import { sql } from "drizzle-orm";
import { bigint, check, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** Rollout rings of ADR-034: a tenant's Worker build is chosen by its ring. */
export const ROLLOUT_RINGS = ["canary", "early", "stable"] as const;
export type RolloutRing = (typeof ROLLOUT_RINGS)[number];

export const tenants = pgTable(
  "tenants",
  {
    /** Slug, also embedded in the tenant's API keys so a router can route without the DB. */
    tenantId: text("tenant_id").primaryKey(),
    name: text("name").notNull(),
    /** Validated tenant configuration (see workers/lib/tenant-config.ts). */
    config: jsonb("config").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    /** Bumped on every config change; pushed to connectors so they know what they run. */
    configVersion: integer("config_version").notNull().default(1),
    rolloutRing: text("rollout_ring").$type<RolloutRing>().notNull().default("stable"),
    /** Bumped when a sync commits; search caches are keyed by it. */
    catalogVersion: bigint("catalog_version", { mode: "number" }).notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    disabledAt: timestamp("disabled_at", { withTimezone: true }),
  },
  (t) => [
    check("tenants_id_format", sql`${t.tenantId} ~ '^[a-z0-9][a-z0-9-]{1,62}$'`),
    check("tenants_ring", sql`${t.rolloutRing} in ('canary', 'early', 'stable')`),
  ],
);

/** The leading `tenant_id` column of every tenant-owned table; rows go with their tenant. */
export const tenantRef = () =>
  text("tenant_id")
    .notNull()
    .references(() => tenants.tenantId, { onDelete: "cascade" });
