import { Hono } from "hono";
import { tenantConfigSchema } from "../../schema/tenant-config.ts";
import { AppError } from "../errors.ts";
import { authenticateConnector } from "../lib/connector-auth.ts";
import { ringVersionOfTenant } from "../lib/releases/rollout.ts";
import type { AppEnv } from "../types.ts";

/** Headers the Worker sets for the DO; anything a client sent under these names is replaced. */
export const CONNECTOR_HEADERS = { tenant: "x-b2x-tenant", connector: "x-b2x-connector-id", config: "x-b2x-tenant-config", configVersion: "x-b2x-config-version", ringConnectorVersion: "x-b2x-ring-connector-version", tokenId: "x-b2x-token-id", requestId: "x-request-id" } as const;

/**
 * `GET /v1/connector/connect`: the connector's outbound WebSocket. The Worker authenticates the
 * token and hands the upgrade to the tenant's TenantSession, which accepts it (hibernation API).
 */
export const connectorRoutes = new Hono<AppEnv>().get("/connect", async (c) => {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new AppError(426, "bad_request", "This endpoint only accepts WebSocket upgrades", undefined, { upgrade: "websocket" });
  }
  const principal = await authenticateConnector(c.var.db(), c.req.header("authorization"));
  const config = tenantConfigSchema.parse(principal.config);
  const expected = config.connectorRegistration.expectedConnectorIds;
  if (expected.length > 0 && !expected.includes(principal.connectorId)) {
    throw new AppError(403, "forbidden", `Connector '${principal.connectorId}' is not registered for this tenant`);
  }
  const headers = new Headers();
  headers.set("upgrade", "websocket");
  headers.set(CONNECTOR_HEADERS.tenant, principal.tenantId);
  headers.set(CONNECTOR_HEADERS.connector, principal.connectorId);
  headers.set(CONNECTOR_HEADERS.config, JSON.stringify(config));
  headers.set(CONNECTOR_HEADERS.configVersion, String(principal.configVersion));
  headers.set(CONNECTOR_HEADERS.ringConnectorVersion, await ringVersionOfTenant(c.var.db(), principal.tenantId));
  headers.set(CONNECTOR_HEADERS.tokenId, principal.tokenId);
  headers.set(CONNECTOR_HEADERS.requestId, c.var.requestId);
  c.var.log("info", "connector connecting", { tenantId: principal.tenantId, connectorId: principal.connectorId });
  const stub = c.env.TENANT_SESSION.get(c.env.TENANT_SESSION.idFromName(principal.tenantId));
  return stub.fetch(new Request("https://tenant-session/connect", { headers }));
});
