import { sql } from "drizzle-orm";
import { Hono } from "hono";
import { AppError } from "../errors.ts";
import { openApiDocument } from "../openapi.ts";
import type { AppEnv } from "../types.ts";

export const healthRoutes = new Hono<AppEnv>()
  /** The REST API as OpenAPI 3.1, generated from the routes' zod schemas. */
  .get("/openapi.json", (c) => c.json(openApiDocument() as object))
  /** Liveness: the isolate answers. No dependencies, no auth. */
  .get("/health", (c) => c.json({ status: "ok" }))
  /** Readiness: a real round trip to Postgres through the Neon driver. */
  .get("/ready", async (c) => {
    const started = Date.now();
    try {
      const result = await c.var.db().execute<{ now: Date | string }>(sql`select now() as now`);
      const serverTime = new Date(result.rows[0]?.now ?? Number.NaN).toISOString();
      return c.json({ status: "ready", database: { ok: true, latencyMs: Date.now() - started, serverTime } });
    } catch (err) {
      c.var.log("warn", "readiness check failed", { error: String(err) });
      throw new AppError(503, "not_ready", "Database is not reachable", undefined, { "retry-after": "1" });
    }
  });
