import { sql } from "drizzle-orm";
import { bigint, check, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import type { ReleaseManifest } from "./connector-release.ts";
import type { RolloutRing } from "./tenants.ts";

/**
 * Signed connector releases the edge stores (artifact and manifest in R2, this row in
 * Postgres). Platform-wide: a release is the same bytes for every tenant; which tenant may
 * fetch it is decided by its ring and override (workers/lib/releases/entitlement.ts).
 */
export const connectorReleases = pgTable("connector_releases", {
  version: text("version").primaryKey(),
  sha256: text("sha256").notNull(),
  size: bigint("size", { mode: "number" }).notNull(),
  keyId: text("key_id").notNull(),
  manifest: jsonb("manifest").$type<ReleaseManifest>().notNull(),
  uploadedAt: timestamp("uploaded_at", { withTimezone: true }).notNull().defaultNow(),
});

/** The connector version each rollout ring runs now (the flag pushed to its tenants' connectors). */
export const connectorRingVersions = pgTable(
  "connector_ring_versions",
  {
    ring: text("ring").$type<RolloutRing>().primaryKey(),
    version: text("version")
      .notNull()
      .references(() => connectorReleases.version),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check("connector_ring_versions_ring", sql`${t.ring} in ('canary', 'early', 'stable')`)],
);

/**
 * Every version a ring has ever run: a version may enter a ring only when the ring before it
 * has run it (canary → early → stable), and rolling a ring back to a version it ran is allowed.
 */
export const connectorRingHistory = pgTable(
  "connector_ring_history",
  {
    ring: text("ring").$type<RolloutRing>().notNull(),
    version: text("version")
      .notNull()
      .references(() => connectorReleases.version),
    firstSetAt: timestamp("first_set_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.ring, t.version] }), check("connector_ring_history_ring", sql`${t.ring} in ('canary', 'early', 'stable')`)],
);
