import { Hono, type Context } from "hono";
import { z } from "zod";
import { ARTIFACT_FILE, MANIFEST_FILE, SIGNATURE_FILE, semverSchema } from "../../schema/connector-release.ts";
import { tenantConfigSchema } from "../../schema/tenant-config.ts";
import { AppError, notFound } from "../errors.ts";
import { audit } from "../lib/audit.ts";
import { type ConnectorPrincipal, authenticateConnector } from "../lib/connector-auth.ts";
import { entitledRelease } from "../lib/releases/rollout.ts";
import { releaseObjectKey } from "../lib/releases/store.ts";
import { pathParams } from "../lib/validate.ts";
import { rateLimited, takeToken } from "../middleware/rate-limit.ts";
import type { AppEnv } from "../types.ts";

export type DownloadStatus = "ok" | "not_found" | "rate_limited" | "error";
type File = "manifest" | "artifact";

const params = z.object({ version: semverSchema });

/** Counts the outcome in the tenant's TenantSession (metrics) without delaying the answer. */
function count(c: Context<AppEnv>, tenantId: string, file: File, status: DownloadStatus): void {
  const done = c.env.TENANT_SESSION.get(c.env.TENANT_SESSION.idFromName(tenantId))
    .recordReleaseDownload(tenantId, file, status)
    .catch((err: unknown) => c.var.log("warn", "download metric not recorded", { error: String(err) }));
  try {
    c.executionCtx.waitUntil(done);
  } catch {
    /* no execution context (app.request in tests): let it run */
  }
}

/**
 * One download: connector token → per-tenant download limit → entitlement (the tenant's own
 * override or a version its ring ran; anything else is the same 404) → R2 object, streamed.
 * Every outcome is counted; every answered request is in the audit log.
 */
async function download(c: Context<AppEnv>, file: File): Promise<Response> {
  const principal: ConnectorPrincipal = await authenticateConnector(c.var.db(), c.req.header("authorization"));
  const { tenantId, connectorId } = principal;
  const { version } = pathParams(c, params);
  const perMinute = tenantConfigSchema.safeParse(principal.config).data?.connectorRegistration.downloadsPerMinute ?? 30;
  const wait = takeToken(`release-download:${tenantId}`, perMinute);
  if (wait > 0) {
    count(c, tenantId, file, "rate_limited");
    throw rateLimited(perMinute, wait, "connector release downloads");
  }
  const db = c.var.db();
  const trail = (status: DownloadStatus) =>
    audit(db, { tenantId, actor: `connector:${connectorId}`, action: "connector.release.download", target: version, requestId: c.var.requestId, details: { file, status } });
  const row = await entitledRelease(db, tenantId, principal.config, version);
  if (!row) {
    count(c, tenantId, file, "not_found");
    await trail("not_found");
    throw notFound(`Connector release '${version}' is not available to this tenant`);
  }
  const bucket = c.env.CONNECTOR_RELEASES;
  const [object, signature] = await Promise.all([
    bucket.get(releaseObjectKey(version, row.sha256, file === "artifact" ? ARTIFACT_FILE : MANIFEST_FILE)),
    file === "manifest" ? bucket.get(releaseObjectKey(version, row.sha256, SIGNATURE_FILE)).then((o) => o?.text()) : Promise.resolve(undefined),
  ]);
  if (!object || (file === "manifest" && !signature)) {
    count(c, tenantId, file, "error");
    await trail("error");
    c.var.log("error", "connector release object missing from R2", { version, file, sha256: row.sha256 });
    throw new AppError(503, "not_ready", `Connector release '${version}' is registered but its ${file} is not stored`);
  }
  count(c, tenantId, file, "ok");
  await trail("ok");
  c.var.log("info", "connector release download", { tenantId, connectorId, version, file });
  const headers = new Headers({ "cache-control": "private, no-store", "content-length": String(object.size), "x-b2x-release-sha256": row.sha256 });
  if (file === "manifest") {
    headers.set("content-type", "application/json");
    headers.set("x-b2x-release-signature", signature!.trim());
  } else {
    headers.set("content-type", "text/javascript");
  }
  return new Response(object.body, { status: 200, headers });
}

/** `GET /v1/connector/releases/:version/manifest|artifact`, for connectors (their token). */
export const connectorReleaseRoutes = new Hono<AppEnv>()
  .get("/:version/manifest", (c) => download(c, "manifest"))
  .get("/:version/artifact", (c) => download(c, "artifact"));
