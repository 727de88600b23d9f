import type { Pool } from "@neondatabase/serverless";
import type { CallOrigin } from "../durable-objects/calls/origin.ts";
import type { TenantConfig } from "../schema/tenant-config.ts";
import type { Database } from "./db/client.ts";
import type { AdminPrincipal } from "./lib/admin-principal.ts";
import type { Logger } from "./lib/log.ts";
import type { TraceContext } from "./lib/trace.ts";
import type { AdminAuditEvent } from "./middleware/admin-audit.ts";

export interface TenantPrincipal {
  tenantId: string;
  keyId: string;
  config: TenantConfig;
  configVersion: number;
}

export interface AppVariables {
  requestId: string;
  /** The W3C trace of this request (continued from the storefront's traceparent or new). */
  trace: TraceContext;
  /** Request id and traceparent handed to the TenantSession for the tunnel Call frame. */
  origin: CallOrigin;
  log: Logger;
  /** Opened lazily on first use, closed when the response is done. */
  db: () => Database;
  /** The same connection pool without drizzle, for statements drizzle cannot express. */
  pool: () => Pool;
  tenant: TenantPrincipal;
  /** The customer id (`sub`) of a verified x-customer-token. */
  customerId: string;
  /** The admin behind an admin request (set by adminAuth). */
  admin: AdminPrincipal | undefined;
  /** The domain action an admin route names for its audit entry. */
  auditEvent: AdminAuditEvent | undefined;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
