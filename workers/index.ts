// The Worker's main module exports only handlers and classes (any other export makes
// `wrangler dev` hang every request).
import { app } from "./app.ts";
import { runScheduled } from "./scheduled.ts";

export { TenantSession } from "../durable-objects/tenant-session.ts";

export default {
  fetch: app.fetch,
  scheduled: (controller, env, ctx) => ctx.waitUntil(runScheduled(controller, env)),
} satisfies ExportedHandler<Env>;
