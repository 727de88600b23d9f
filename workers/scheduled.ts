import { createLogger } from "./lib/log.ts";

/**
 * Cron entry point. It will find tenants whose incremental or nightly full sync is due and
 * ask each TenantSession to start a run; that runner is delivered with the sync issue, so for
 * now the tick is only logged.
 */
export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const log = createLogger(env.LOG_LEVEL, { cron: controller.cron });
  log("info", "scheduled tick", { scheduledTime: new Date(controller.scheduledTime).toISOString() });
}
