import { sql } from "drizzle-orm";
import { index, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { tenantRef } from "./tenants.ts";

/**
 * Storefront API keys. Only the SHA-256 of the key is stored; the key itself carries the
 * tenant id and key id, so a lookup is one primary-key read.
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    tenantId: tenantRef(),
    keyId: text("key_id").notNull(),
    name: text("name").notNull().default(""),
    keyHash: text("key_hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.keyId] })],
);

/** Connector tokens: bound to one tenant and one connector id, hashed, revocable. */
export const connectorTokens = pgTable(
  "connector_tokens",
  {
    tenantId: tenantRef(),
    tokenId: text("token_id").notNull(),
    connectorId: text("connector_id").notNull(),
    tokenHash: text("token_hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.tokenId] }),
    index("connector_tokens_connector_idx").on(t.tenantId, t.connectorId),
    index("connector_tokens_active_idx")
      .on(t.tenantId)
      .where(sql`${t.revokedAt} is null`),
  ],
);
