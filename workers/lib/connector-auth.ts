import { and, eq, isNull } from "drizzle-orm";
import { connectorTokens, tenants } from "../../schema/index.ts";
import type { Database } from "../db/client.ts";
import { unauthorized } from "../errors.ts";
import { bearerToken, digestsEqual, parseCredential, sha256Hex } from "./credentials.ts";

export interface ConnectorPrincipal {
  tenantId: string;
  connectorId: string;
  tokenId: string;
  config: Record<string, unknown>;
  configVersion: number;
}

/**
 * A connector token names its tenant and token id; the row binds it to one connector id.
 * Wrong, revoked and other-tenant tokens are all the same 401: they never reach a DO.
 */
export async function authenticateConnector(db: Database, authorization: string | undefined): Promise<ConnectorPrincipal> {
  const raw = bearerToken(authorization);
  const parsed = raw ? parseCredential(raw, "ct") : null;
  if (!raw || !parsed) throw unauthorized();
  const [row] = await db
    .select({ hash: connectorTokens.tokenHash, connectorId: connectorTokens.connectorId, config: tenants.config, configVersion: tenants.configVersion })
    .from(connectorTokens)
    .innerJoin(tenants, eq(tenants.tenantId, connectorTokens.tenantId))
    .where(and(eq(connectorTokens.tenantId, parsed.tenantId), eq(connectorTokens.tokenId, parsed.id), isNull(connectorTokens.revokedAt), isNull(tenants.disabledAt)))
    .limit(1);
  if (!row || !digestsEqual(row.hash, await sha256Hex(raw))) throw unauthorized();
  return { tenantId: parsed.tenantId, connectorId: row.connectorId, tokenId: parsed.id, config: row.config, configVersion: row.configVersion };
}
