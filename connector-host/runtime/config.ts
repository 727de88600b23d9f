import { readFileSync } from "node:fs";
import { z } from "zod";
import { OPERATION_NAMES } from "./operations.ts";

/**
 * The connector's local configuration, owned by the tenant's IT: where the edge is, who this
 * connector is, which BusinessUnits it serves, and which operations the cloud may run (deny by
 * default: an operation not listed is refused, whatever the edge asks).
 */
export const connectorConfigSchema = z
  .object({
    tenantId: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "lowercase letters, digits and '-'"),
    connectorId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "letters, digits, '.', '_', '-'"),
    edgeUrl: z.url({ protocol: /^(wss?|https?)$/, message: "ws://, wss://, http:// or https:// URL of the edge" }),
    /**
     * Where sync batches are posted (proto StreamIngest) when not to the edge URL itself: a
     * hostname of the same Worker routed apart, or (benchmarks) the Worker in another process.
     */
    ingestOrigin: z.url({ protocol: /^https?$/, message: "http:// or https:// URL" }).optional(),
    /** Connector token issued by the edge's admin API (kept out of the file via --token or B2X_CONNECTOR_TOKEN). */
    token: z.string().min(10).optional(),
    businessUnits: z.array(z.string().min(1).max(32)).min(1).max(64),
    /** Operation names, or a provider wildcard like "pim.*". Nothing is allowed by default. */
    allowedOperations: z.array(z.union([z.enum(OPERATION_NAMES), z.enum(["erp.*", "crm.*", "pim.*", "sys.*"])])).default([]),
    erp: z
      .object({
        provider: z.literal("enventa").default("enventa"),
        /** The (simulated) enventa database file. */
        database: z.string().min(1),
        user: z.string().min(1).default("b2x-connector"),
        sessionsPerBusinessUnit: z.int().min(1).max(16).default(1),
        queueCapacity: z.int().min(1).max(100_000).default(1_000),
        keepAliveMs: z.int().min(1_000).max(3_600_000).default(5 * 60_000),
        idleReleaseMs: z.int().min(1_000).max(24 * 3_600_000).default(30 * 60_000),
        warmUp: z.boolean().default(true),
      })
      .strict(),
    /**
     * The CPU priority of the thread that streams sync batches: `idle` (Linux SCHED_IDLE, nice 19
     * where that is refused) runs a sync only on CPU time live calls and the ERP leave over;
     * `normal` lets it compete, for a host so busy that an idle-priority sync would crawl.
     */
    syncPriority: z.enum(["idle", "normal"]).default("idle"),
    heartbeatMs: z.int().min(100).max(300_000).default(30_000),
    reconnect: z
      .object({ minDelayMs: z.int().min(10).default(500), maxDelayMs: z.int().min(100).default(30_000) })
      .strict()
      .prefault({}),
    /** Local health endpoint for the service manager; 127.0.0.1 only. 0 picks a free port. */
    healthPort: z.int().min(0).max(65_535).default(8790),
    drainTimeoutMs: z.int().min(0).max(600_000).default(30_000),
    /** How often the ERP is checked for price/stock/order changes to push as events. */
    eventPollMs: z.int().min(20).max(60_000).default(250),
    /** Self-update under `npm run connector:supervised` (ADR-034 signed releases). */
    releases: z
      .object({
        /** Trusted Ed25519 release keys, keyId → base64 raw public key; empty = never update. */
        publicKeys: z.record(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/), z.string().regex(/^[A-Za-z0-9+/]{43}=$/, "base64 of a 32-byte Ed25519 public key")).default({}),
        /** Where versions are installed (`<dir>/<version>/`); relative to the config file. */
        dir: z.string().min(1).default("releases"),
        /** Where to download from, if not the edge itself (a mirror or CDN in front of it). */
        downloadUrl: z.url({ protocol: /^https?$/ }).optional(),
        /** A new version must be connected, welcomed and heartbeating within this time, or it is rolled back. */
        graceMs: z.int().min(500).max(600_000).default(90_000),
        /** After it is ready, a new version is still rolled back if it ends or stops heartbeating within this time. */
        probationMs: z.int().min(0).max(3_600_000).default(120_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type ConnectorConfig = z.output<typeof connectorConfigSchema>;

/** Parses a config; the error names each wrong field by its path. */
export function parseConnectorConfig(value: unknown, source = "config"): ConnectorConfig {
  const r = connectorConfigSchema.safeParse(value);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`invalid connector configuration in ${source}:\n${lines.join("\n")}`);
  }
  return r.data;
}

export function loadConnectorConfig(path: string, overrides: Record<string, unknown> = {}): ConnectorConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`cannot read connector configuration ${path}: ${(err as Error).message}`);
  }
  return parseConnectorConfig({ ...(raw as object), ...overrides }, path);
}

/** Deny by default: exact names or a provider wildcard. */
export function isAllowed(config: Pick<ConnectorConfig, "allowedOperations">, operation: string): boolean {
  return config.allowedOperations.some((a) => a === operation || (a.endsWith(".*") && operation.startsWith(a.slice(0, -1))));
}
