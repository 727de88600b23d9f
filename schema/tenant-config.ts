import { z } from "zod";

/**
 * The tenant configuration JSON (ADR-023 "Tenant Configuration"), as stored in
 * `tenants.config` and pushed to connectors. Every field has a default, so `{}` is valid;
 * unknown fields are rejected so a typo never silently does nothing.
 */
export const TENANT_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;
export const tenantIdSchema = z.string().regex(TENANT_ID, "lowercase letters, digits and '-', 2-63 chars");
export const connectorIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "letters, digits, '.', '_', '-', up to 64 chars");

const jwk = z
  .object({ kty: z.enum(["EC", "RSA", "OKP"]), kid: z.string().max(128).optional(), alg: z.string().max(16).optional() })
  .catchall(z.unknown());

export const tenantConfigSchema = z
  .object({
    erpProvider: z
      .object({
        type: z.literal("enventa").default("enventa"),
        deploymentModel: z.enum(["on-premise", "cloud"]).default("on-premise"),
        businessUnits: z.array(z.string().min(1).max(32)).min(1).max(64).default(["default"]),
        syncBatchSize: z.int().min(100).max(10_000).default(1_000),
      })
      .strict()
      .prefault({}),
    connectorRegistration: z
      .object({
        /** Connector ids allowed to connect; empty = any id that holds a valid token. */
        expectedConnectorIds: z.array(connectorIdSchema).max(16).default([]),
        features: z.array(z.enum(["pim", "crm", "orders", "prices", "stock"])).default(["pim", "crm", "orders", "prices", "stock"]),
        /** Per-tenant override of its ring's connector version (ADR-034 feature flag). */
        desiredConnectorVersion: z.string().max(64).optional(),
        /** Connector release downloads (manifest or artifact) per minute for the tenant. */
        downloadsPerMinute: z.int().min(1).max(10_000).default(30),
        /**
         * How often connectors heartbeat (pushed in the welcome). A connector silent for two
         * intervals is taken for dead (half-open socket): its calls fail over or fail at once.
         */
        heartbeatIntervalMs: z.int().min(200).max(300_000).default(30_000),
      })
      .strict()
      .prefault({}),
    /** Keys that verify the tenant's customer tokens (x-customer-token JWTs). */
    customerTokens: z
      .object({
        issuer: z.string().max(256).optional(),
        audience: z.string().max(256).optional(),
        keys: z.array(jwk).max(8).default([]),
      })
      .strict()
      .prefault({}),
    cache: z
      .object({
        pricesTtlSeconds: z.int().min(30).max(300).default(60),
        stockTtlSeconds: z.int().min(5).max(300).default(30),
        orderStatusTtlSeconds: z.int().min(60).max(120).default(60),
      })
      .strict()
      .prefault({}),
    live: z
      .object({
        callDeadlineMs: z.int().min(100).max(60_000).default(5_000),
        /** Degraded mode: serve the last known customer price/stock, flagged stale, when offline. */
        serveStaleWhenOffline: z.boolean().default(false),
        maxStaleSeconds: z.int().min(0).max(7 * 24 * 3600).default(3_600),
        /** Calls waiting in the DO per BusinessUnit before new ones get 503 busy. */
        queueCapacity: z.int().min(1).max(10_000).default(1_000),
        /** How long an idle DO holds a new price/stock lookup so concurrent ones join it. */
        coalesceWindowMs: z.int().min(0).max(50).default(0),
        /** Merge concurrent lookups into bulk ERP calls (off only to measure what it saves). */
        coalesce: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    sync: z
      .object({
        incrementalEveryMinutes: z.int().min(1).max(24 * 60).default(15),
        /** UTC time of the nightly full run, HH:MM. */
        fullAtUtc: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM (UTC)").default("02:00"),
        enabled: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    search: z
      .object({
        /**
         * Attributes the storefront shows as facets ("attr:<key>"): the search index of each
         * catalog version keeps a column of each, so they are counted without reading articles.
         */
        facetAttributes: z.array(z.string().min(1).max(100)).max(16).default([]),
      })
      .strict()
      .prefault({}),
    rateLimit: z
      .object({ requestsPerMinute: z.int().min(1).max(10_000_000).default(60_000) })
      .strict()
      .prefault({}),
  })
  .strict();

export type TenantConfig = z.output<typeof tenantConfigSchema>;
export type TenantConfigInput = z.input<typeof tenantConfigSchema>;
