import { sql } from "drizzle-orm";
import type { SyncMode } from "../schema/sync.ts";
import type { TenantConfig } from "../schema/tenant-config.ts";
import { openDatabase } from "./db/client.ts";
import { createLogger } from "./lib/log.ts";
import { tenantConfig } from "./lib/tenant-config-cache.ts";

export interface DueCheck {
  config: TenantConfig;
  lastRunAt: Date | null;
  lastFullAt: Date | null;
}

/** Which run a tenant is due for now: the nightly full (once per day after its time), else incremental. */
export function dueMode(t: DueCheck, now: Date): SyncMode | null {
  const s = t.config.sync;
  if (!s.enabled) return null;
  const [hh, mm] = s.fullAtUtc.split(":").map(Number) as [number, number];
  const todayFull = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hh, mm));
  if (now >= todayFull && (!t.lastFullAt || t.lastFullAt < todayFull)) return "full";
  if (!t.lastRunAt || now.getTime() - t.lastRunAt.getTime() >= s.incrementalEveryMinutes * 60_000) return "incremental";
  return null;
}

/**
 * Cron entry point (each rollout ring runs its own and serves only its tenants; the local "dev"
 * script serves all): finds tenants whose incremental or nightly full sync is due and asks each
 * tenant's TenantSession to start it (a running run is joined, never doubled).
 */
export async function runScheduled(controller: ScheduledController, env: Env): Promise<{ started: string[]; joined: string[] }> {
  const log = createLogger(env.LOG_LEVEL, { cron: controller.cron });
  const now = new Date(controller.scheduledTime);
  const { db, pool } = openDatabase(env);
  const out = { started: [] as string[], joined: [] as string[] };
  try {
    const rows = await db.execute<{ tenant_id: string; config: unknown; config_version: number; last_run: string | null; last_full: string | null }>(sql`
      SELECT t.tenant_id, t.config, t.config_version,
        (SELECT max(r.started_at) FROM sync_runs r WHERE r.tenant_id = t.tenant_id) AS last_run,
        (SELECT max(r.started_at) FROM sync_runs r WHERE r.tenant_id = t.tenant_id AND r.mode = 'full') AS last_full
      FROM tenants t WHERE t.disabled_at IS NULL AND (${env.ROLLOUT_RING} = 'dev' OR t.rollout_ring = ${env.ROLLOUT_RING}) ORDER BY t.tenant_id`);
    for (const r of rows.rows) {
      const config = tenantConfig(r.tenant_id, Number(r.config_version), r.config);
      const mode = dueMode({ config, lastRunAt: r.last_run ? new Date(r.last_run) : null, lastFullAt: r.last_full ? new Date(r.last_full) : null }, now);
      if (!mode) continue;
      try {
        const stub = env.TENANT_SESSION.get(env.TENANT_SESSION.idFromName(r.tenant_id));
        const res = await stub.startSync({ tenantId: r.tenant_id, config, configVersion: Number(r.config_version) }, mode, "cron");
        (res.started ? out.started : out.joined).push(r.tenant_id);
        log("info", "sync triggered", { tenantId: r.tenant_id, mode, runId: res.runId, started: res.started });
      } catch (err) {
        log("warn", "could not trigger sync", { tenantId: r.tenant_id, mode, error: String(err) });
      }
    }
  } finally {
    await pool.end();
  }
  return out;
}
