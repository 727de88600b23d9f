import { Hono } from "hono";
import { overviewSchema } from "../../ops/overview-schema.ts";
import { buildOverview } from "../../ops/overview.ts";
import type { AppEnv } from "../../types.ts";

/** `GET /v1/admin/overview`: the ops page's data (admin token or the ops session cookie). */
export const overviewRoutes = new Hono<AppEnv>().get("/", async (c) => {
  // Parsed on the way out: the page relies on this shape, so a drift fails here, not in a browser.
  const overview = overviewSchema.parse(await buildOverview(c));
  return c.json(overview, 200, { "cache-control": "no-store" });
});
