import { Hono } from "hono";
import { catalogConnectRoutes } from "./connect/catalog-service.ts";
import { liveConnectRoutes } from "./connect/live-service.ts";
import { AppError, toErrorResponse } from "./errors.ts";
import { bodyLimit } from "./middleware/body-limit.ts";
import { database } from "./middleware/database.ts";
import { rateLimit } from "./middleware/rate-limit.ts";
import { requestId } from "./middleware/request-id.ts";
import { tenantAuth } from "./middleware/tenant-auth.ts";
import { adminRoutes } from "./routes/admin/index.ts";
import { catalogRoutes } from "./routes/catalog.ts";
import { connectorRoutes } from "./routes/connector.ts";
import { connectorReleaseRoutes } from "./routes/connector-releases.ts";
import { healthRoutes } from "./routes/health.ts";
import { liveRoutes } from "./routes/live.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { opsRoutes } from "./routes/ops.ts";
import { orderRoutes } from "./routes/orders.ts";
import { sessionRoutes } from "./routes/session.ts";
import { syncIngestRoutes } from "./routes/sync-ingest.ts";
import type { AppEnv } from "./types.ts";

/** Storefront areas; each needs a tenant API key (registered per prefix so unknown paths stay 404). */
const storefront = new Hono<AppEnv>()
  .use("/catalog/*", tenantAuth, rateLimit)
  .use("/session", tenantAuth, rateLimit)
  .use("/prices", tenantAuth, rateLimit)
  .use("/stock", tenantAuth, rateLimit)
  .use("/customers/*", tenantAuth, rateLimit)
  .use("/orders/*", tenantAuth, rateLimit)
  .route("/catalog", catalogRoutes)
  .route("/session", sessionRoutes)
  .route("/orders", orderRoutes)
  .route("/", liveRoutes);

export const app = new Hono<AppEnv>()
  .use(requestId)
  .use(bodyLimit)
  .use(database)
  .route("/v1", healthRoutes)
  .route("/v1/admin", adminRoutes)
  .route("/v1/connector/releases", connectorReleaseRoutes)
  .route("/v1/connector/sync", syncIngestRoutes)
  .route("/v1/connector", connectorRoutes)
  .route("/metrics", metricsRoutes)
  .route("/ops", opsRoutes)
  .route("/b2x.storefront.v1.LiveService", liveConnectRoutes)
  .route("/b2x.storefront.v1.CatalogService", catalogConnectRoutes)
  .route("/v1", storefront);

app.notFound((c) => {
  throw new AppError(404, "not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}`);
});

/** The one place errors become HTTP: typed errors keep their status, the rest are 500s. */
app.onError((err, c) => {
  const id = c.get("requestId") ?? crypto.randomUUID();
  const { status, body, headers } = toErrorResponse(err, id);
  if (status >= 500) {
    // Typed 5xx (busy, connector offline, tenant moving, database unavailable) are answers the
    // contract describes: a warning without a stack. Only the unexpected is an error.
    const expected = body.error.code !== "internal";
    const log = c.get("log");
    const detail = { code: body.error.code, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err), ...(!expected && { stack: err instanceof Error ? err.stack : undefined }) };
    if (log) log(expected ? "warn" : "error", "request failed", detail);
    else console.error(JSON.stringify({ level: expected ? "warn" : "error", msg: "request failed", requestId: id, ...detail }));
  }
  return c.json(body, status, { ...headers, "x-request-id": id });
});
