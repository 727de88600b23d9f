import { createMiddleware } from "hono/factory";
import { type DatabaseHandle, openDatabase } from "../db/client.ts";
import type { AppEnv } from "../types.ts";

/** Every route reaches Postgres through `c.var.db()`: opened on first use, closed after. */
export const database = createMiddleware<AppEnv>(async (c, next) => {
  let handle: DatabaseHandle | undefined;
  c.set("db", () => {
    handle ??= openDatabase(c.env);
    return handle.db;
  });
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
