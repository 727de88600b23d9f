import { createMiddleware } from "hono/factory";
import { type DatabaseHandle, openDatabase } from "../db/client.ts";
import type { AppEnv } from "../types.ts";

/** Every route reaches Postgres through `c.var.db()`: opened on first use, closed after. */
export const database = createMiddleware<AppEnv>(async (c, next) => {
  let handle: DatabaseHandle | undefined;
  const open = () => (handle ??= openDatabase(c.env));
  c.set("db", () => open().db);
  c.set("pool", () => open().pool);
  try {
    await next();
  } finally {
    if (handle) {
      const ending = handle.pool.end().catch(() => {});
      try {
        c.executionCtx.waitUntil(ending);
      } catch {
        await ending; // no execution context (e.g. app.request in unit tests)
      }
    }
  }
});
