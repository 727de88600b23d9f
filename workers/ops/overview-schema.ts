import { z } from "zod";

/** `GET /v1/admin/overview`: everything the ops page shows, in one typed document. */
export const connectorStatusSchema = z.object({
  connectorId: z.string(),
  version: z.string(),
  online: z.boolean(),
  lastHeartbeatAt: z.string().nullable(),
  lastHeartbeatAgeSeconds: z.number().nullable(),
});

export const syncRunSchema = z.object({
  runId: z.string(),
  mode: z.string(),
  status: z.string(),
  stage: z.string(),
  rowsDone: z.number(),
  rowsTotal: z.number().nullable(),
  /** 0..1 when the total is known. */
  progress: z.number().nullable(),
  ratePerSecond: z.number(),
  etaSeconds: z.number().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});

export const tenantOverviewSchema = z.object({
  tenantId: z.string(),
  name: z.string(),
  ring: z.string(),
  disabled: z.boolean(),
  configVersion: z.number(),
  desiredConnectorVersion: z.string().nullable(),
  sessionUp: z.boolean(),
  connectors: z.array(connectorStatusSchema),
  live: z.object({
    calls: z.number(),
    p95Ms: z.number().nullable(),
    cacheHitRatio: z.number().nullable(),
    errorsByStatus: z.record(z.string(), z.number()),
    queueDepth: z.number(),
  }),
  syncRuns: z.array(syncRunSchema),
});

export const recentErrorSchema = z.object({
  at: z.string(),
  tenantId: z.string(),
  source: z.enum(["sync", "admin"]),
  message: z.string(),
});

export const workerVersionSchema = z.object({ versionId: z.string(), versionTag: z.string(), versionTimestamp: z.string() });

/** One rollout ring's part of the view: a ring Worker reports itself; the router lists every ring, answered or not. */
export const ringStatusSchema = z.object({
  /** canary, early, stable, or "dev" for the one local script. */
  ring: z.string(),
  ok: z.boolean(),
  worker: workerVersionSchema.nullable(),
  /** Why the ring's part is missing (ok false). */
  error: z.string().nullable(),
});

export const overviewSchema = z.object({
  generatedAt: z.string(),
  /** The Worker that answered (through the router: the default ring's, else the first that answered). */
  worker: workerVersionSchema,
  rings: z.array(ringStatusSchema),
  signedInAs: z.string(),
  tenants: z.array(tenantOverviewSchema),
  recentErrors: z.array(recentErrorSchema),
});

export type Overview = z.infer<typeof overviewSchema>;
export type TenantOverview = z.infer<typeof tenantOverviewSchema>;
export type RingStatus = z.infer<typeof ringStatusSchema>;
