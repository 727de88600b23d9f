import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../workers/index.ts";
import { describe, expect, it } from "vitest";
import { tenantConfigSchema } from "../../schema/tenant-config.ts";
import { openDatabase } from "../../workers/db/client.ts";
import { dueMode, runScheduled } from "../../workers/scheduled.ts";
import { admin, uniqueTenantId } from "./helpers.ts";

const config = (sync: object = {}) => tenantConfigSchema.parse({ sync });

describe("sync schedule", () => {
  const at = (iso: string) => new Date(iso);
  it("runs the nightly full once per day after its time, incrementals in between", () => {
    const c = config({ incrementalEveryMinutes: 15, fullAtUtc: "02:00" });
    expect(dueMode({ config: c, lastRunAt: null, lastFullAt: null }, at("2026-11-23T01:00:00Z"))).toBe("incremental");
    expect(dueMode({ config: c, lastRunAt: at("2026-11-23T01:50:00Z"), lastFullAt: at("2026-11-22T02:00:00Z") }, at("2026-11-23T02:05:00Z"))).toBe("full");
    expect(dueMode({ config: c, lastRunAt: at("2026-11-23T02:05:00Z"), lastFullAt: at("2026-11-23T02:05:00Z") }, at("2026-11-23T02:10:00Z"))).toBeNull();
    expect(dueMode({ config: c, lastRunAt: at("2026-11-23T02:05:00Z"), lastFullAt: at("2026-11-23T02:05:00Z") }, at("2026-11-23T02:21:00Z"))).toBe("incremental");
    expect(dueMode({ config: config({ enabled: false }), lastRunAt: null, lastFullAt: null }, at("2026-11-23T03:00:00Z"))).toBeNull();
  });

  it("the cron handler starts one run per due tenant, and a second tick joins it", async () => {
    const tenantId = uniqueTenantId("cron");
    expect((await admin("/tenants", "POST", { tenantId, name: "Cron GmbH", config: { sync: { incrementalEveryMinutes: 5 } } })).status).toBe(201);
    const controller = createScheduledController({ scheduledTime: Date.now(), cron: "*/5 * * * *" });
    const ctx = createExecutionContext();
    await worker.scheduled(controller, env, ctx);
    await waitOnExecutionContext(ctx);
    const { db, pool } = openDatabase(env);
    try {
      const runs = await pool.query(`SELECT run_id, trigger, status FROM sync_runs WHERE tenant_id = $1`, [tenantId]);
      expect(runs.rows).toHaveLength(1);
      expect(runs.rows[0]).toMatchObject({ trigger: "cron", status: "running" });
      // The run is still going (no connector here): the next tick must not start another.
      const second = await runScheduled(createScheduledController({ scheduledTime: Date.now() + 10 * 60_000, cron: "*/5 * * * *" }), env);
      expect(second.started).not.toContain(tenantId);
      expect(second.joined).toContain(tenantId);
      expect((await pool.query(`SELECT count(*)::int AS n FROM sync_runs WHERE tenant_id = $1`, [tenantId])).rows[0].n).toBe(1);
      void db;
    } finally {
      await pool.end();
    }
  });
});
