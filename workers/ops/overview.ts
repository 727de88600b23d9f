import { and, asc, desc, gt, inArray, ne, sql } from "drizzle-orm";
import type { Context } from "hono";
import type { TenantSession } from "../../durable-objects/tenant-session.ts";
import { auditLog, syncRuns, tenants } from "../../schema/index.ts";
import { tenantConfigSchema } from "../../schema/tenant-config.ts";
import type { Database } from "../db/client.ts";
import { reportedAuditEntries, reportedTenants } from "../lib/ring-scope.ts";
import { liveCallFigures } from "../metrics/latency.ts";
import { presentRun } from "../routes/admin/sync.ts";
import type { AppEnv } from "../types.ts";
import type { Overview, TenantOverview } from "./overview-schema.ts";

/** The page shows this many tenants and runs; it is a dashboard, not a report. */
const MAX_TENANTS = 200;
const RUNS_PER_TENANT = 3;
const RECENT_ERRORS = 20;
const ERROR_WINDOW_MS = 24 * 3600 * 1000;

type TenantRow = typeof tenants.$inferSelect;
type SessionStub = DurableObjectStub<TenantSession>;

/**
 * Everything the ops page shows: tenants, their connectors and live figures, sync runs, errors.
 * A ring Worker shows its own ring's tenants and errors (see lib/ring-scope.ts); the router merges.
 */
export async function buildOverview(c: Context<AppEnv>): Promise<Overview> {
  const db = c.var.db();
  const now = Date.now();
  const rows = await db.select().from(tenants).where(reportedTenants(c.env)).orderBy(asc(tenants.tenantId)).limit(MAX_TENANTS);
  const [runs, adminErrors] = await Promise.all([recentRuns(db, rows.map((r) => r.tenantId)), recentAdminErrors(db, now, c.env)]);
  const tenantsOut = await Promise.all(rows.map((t) => tenantOverview(c, t, runs.get(t.tenantId) ?? [], now)));
  const syncErrors = [...runs.values()].flat().flatMap((r) => r.errors.map((e) => ({ at: e.at, tenantId: r.tenantId, source: "sync" as const, message: `${r.mode} run ${r.runId}: ${e.message}` })));
  const version = c.env.CF_VERSION_METADATA;
  const worker = { versionId: version?.id ?? "", versionTag: version?.tag ?? "", versionTimestamp: version?.timestamp ?? "" };
  return {
    generatedAt: new Date(now).toISOString(),
    worker,
    rings: [{ ring: c.env.ROLLOUT_RING, ok: true, worker, error: null }],
    signedInAs: c.var.admin?.actor ?? "",
    tenants: tenantsOut,
    recentErrors: [...syncErrors, ...adminErrors].sort((a, b) => b.at.localeCompare(a.at)).slice(0, RECENT_ERRORS),
  };
}

async function tenantOverview(c: Context<AppEnv>, t: TenantRow, runs: (typeof syncRuns.$inferSelect)[], now: number): Promise<TenantOverview> {
  const config = tenantConfigSchema.safeParse(t.config);
  const base = {
    tenantId: t.tenantId, name: t.name, ring: t.rolloutRing, disabled: t.disabledAt !== null, configVersion: t.configVersion,
    desiredConnectorVersion: (config.success && config.data.connectorRegistration.desiredConnectorVersion) || null,
    syncRuns: runs.map((r) => {
      const p = presentRun(r, now);
      return { ...p, progress: r.rowsTotal ? Math.min(1, r.rowsDone / r.rowsTotal) : r.status === "succeeded" ? 1 : null };
    }),
  };
  const stub: SessionStub = c.env.TENANT_SESSION.get(c.env.TENANT_SESSION.idFromName(t.tenantId));
  try {
    const [presence, lines] = await Promise.all([stub.connectorPresence(), stub.metricLines(t.tenantId)]);
    const figures = liveCallFigures(lines);
    return {
      ...base,
      sessionUp: true,
      connectors: presence.connectors.map((p) => ({
        connectorId: p.connectorId, version: p.version, online: p.connected,
        lastHeartbeatAt: p.lastHeartbeat ? new Date(p.lastHeartbeat).toISOString() : null,
        lastHeartbeatAgeSeconds: p.lastHeartbeat ? Math.max(0, Math.round((now - p.lastHeartbeat) / 1000)) : null,
      })),
      live: {
        calls: figures.calls, p95Ms: figures.p95Seconds === null ? null : Math.round(figures.p95Seconds * 10_000) / 10,
        cacheHitRatio: figures.calls > 0 || presence.cacheHitRatio > 0 ? presence.cacheHitRatio : null,
        errorsByStatus: figures.errorsByStatus, queueDepth: presence.queueDepth,
      },
    };
  } catch (err) {
    c.var.log("warn", "ops overview: tenant session did not answer", { tenantId: t.tenantId, error: String(err) });
    return { ...base, sessionUp: false, connectors: [], live: { calls: 0, p95Ms: null, cacheHitRatio: null, errorsByStatus: {}, queueDepth: 0 } };
  }
}

async function recentRuns(db: Database, tenantIds: string[]): Promise<Map<string, (typeof syncRuns.$inferSelect)[]>> {
  const out = new Map<string, (typeof syncRuns.$inferSelect)[]>();
  if (tenantIds.length === 0) return out;
  const ranked = db
    .select({ tenantId: syncRuns.tenantId, runId: syncRuns.runId, rn: sql<number>`row_number() OVER (PARTITION BY ${syncRuns.tenantId} ORDER BY ${syncRuns.startedAt} DESC)`.as("rn") })
    .from(syncRuns)
    .where(inArray(syncRuns.tenantId, tenantIds))
    .as("ranked");
  const rows = await db
    .select({ run: syncRuns })
    .from(syncRuns)
    .innerJoin(ranked, and(sql`${ranked.tenantId} = ${syncRuns.tenantId}`, sql`${ranked.runId} = ${syncRuns.runId}`))
    .where(sql`${ranked.rn} <= ${RUNS_PER_TENANT}`)
    .orderBy(asc(syncRuns.tenantId), desc(syncRuns.startedAt));
  for (const { run } of rows) out.set(run.tenantId, [...(out.get(run.tenantId) ?? []), run]);
  return out;
}

/** Admin requests of the last day that were refused or failed (from the audit log). */
async function recentAdminErrors(db: Database, now: number, env: AppEnv["Bindings"]): Promise<Overview["recentErrors"]> {
  const rows = await db
    .select()
    .from(auditLog)
    .where(and(gt(auditLog.at, new Date(now - ERROR_WINDOW_MS)), sql`${auditLog.details}->>'outcome' IS NOT NULL`, ne(sql`${auditLog.details}->>'outcome'`, "ok"), reportedAuditEntries(env)))
    .orderBy(desc(auditLog.eventId))
    .limit(RECENT_ERRORS);
  return rows.map((r) => ({ at: r.at.toISOString(), tenantId: r.tenantId, source: "admin" as const, message: `${String(r.details.method)} ${String(r.details.path)} → ${String(r.details.status)} (${r.actor}${r.details.attemptedName ? `, as '${String(r.details.attemptedName)}'` : ""})` }));
}
