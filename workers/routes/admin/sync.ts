import { and, desc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { SYNC_MODES, syncCheckpoints, syncRuns, tenants } from "../../../schema/index.ts";
import { AppError, notFound } from "../../errors.ts";
import { auditEvent } from "../../middleware/admin-audit.ts";
import { tenantConfig } from "../../lib/tenant-config-cache.ts";
import { jsonBody, pathParams } from "../../lib/validate.ts";
import type { AppEnv } from "../../types.ts";
import { tenantParams } from "./tenants.ts";

export const startBody = z.object({ mode: z.enum(SYNC_MODES).default("incremental") }).strict().prefault({});

type Run = typeof syncRuns.$inferSelect;
export function presentRun(r: Run, now: number) {
  const seconds = Math.max(0.001, ((r.finishedAt ?? new Date(now)).getTime() - r.startedAt.getTime()) / 1000);
  const rate = r.rowsDone / seconds;
  const remaining = r.rowsTotal !== null ? Math.max(0, r.rowsTotal - r.rowsDone) : null;
  return {
    runId: r.runId, mode: r.mode, status: r.status, stage: r.stage, trigger: r.trigger,
    rowsDone: r.rowsDone, rowsTotal: r.rowsTotal, ratePerSecond: Math.round(rate),
    etaSeconds: r.status === "running" && remaining !== null && rate > 0 ? Math.round(remaining / rate) : null,
    attempts: r.attempts, errors: r.errors, startedAt: r.startedAt.toISOString(), updatedAt: r.updatedAt.toISOString(), finishedAt: r.finishedAt?.toISOString() ?? null,
  };
}

/** Start a sync run by hand; list runs with progress, rate, ETA, errors, and lag per entity. */
export const syncAdminRoutes = new Hono<AppEnv>()
  .post("/", async (c) => {
    const { tenantId } = pathParams(c, tenantParams);
    const { mode } = await jsonBody(c, startBody);
    const [t] = await c.var.db().select().from(tenants).where(eq(tenants.tenantId, tenantId));
    if (!t) throw notFound(`Tenant '${tenantId}' not found`);
    const stub = c.env.TENANT_SESSION.get(c.env.TENANT_SESSION.idFromName(tenantId));
    const move = await stub.moveStatus();
    if (move.phase !== "open") throw new AppError(503, "tenant_moving", `Tenant '${tenantId}' is moving to the '${move.to}' ring; start the sync there`, undefined, { "retry-after": "5" });
    const result = await stub.startSync({ tenantId, config: tenantConfig(tenantId, t.configVersion, t.config), configVersion: t.configVersion }, mode, "admin");
    auditEvent(c, { action: "sync.start", target: result.runId, details: { mode, started: result.started } });
    return c.json(result, result.started ? 202 : 409);
  })
  .get("/", async (c) => {
    const { tenantId } = pathParams(c, tenantParams);
    const db = c.var.db();
    const [t] = await db.select({ id: tenants.tenantId }).from(tenants).where(eq(tenants.tenantId, tenantId));
    if (!t) throw notFound(`Tenant '${tenantId}' not found`);
    const runs = await db.select().from(syncRuns).where(eq(syncRuns.tenantId, tenantId)).orderBy(desc(syncRuns.startedAt)).limit(20);
    const cps = await db.select().from(syncCheckpoints).where(and(eq(syncCheckpoints.tenantId, tenantId)));
    const now = Date.now();
    return c.json({
      runs: runs.map((r) => presentRun(r, now)),
      entities: Object.fromEntries(
        cps.map((cp) => [cp.entity, { checkpoint: cp.rowversion.toString(), newestChangeAt: cp.newestChangeAt?.toISOString() ?? null, lagSeconds: cp.newestChangeAt ? Math.round((now - cp.newestChangeAt.getTime()) / 1000) : null, updatedAt: cp.updatedAt.toISOString() }]),
      ),
    });
  });
