import type { TenantConfig } from "../schema/tenant-config.ts";
import type { Database } from "./db/client.ts";
import type { Logger } from "./lib/log.ts";

export interface TenantPrincipal {
  tenantId: string;
  keyId: string;
  config: TenantConfig;
  configVersion: number;
}

export interface AppVariables {
  requestId: string;
  log: Logger;
  /** Opened lazily on first use, closed when the response is done. */
  db: () => Database;
  tenant: TenantPrincipal;
  /** The customer id (`sub`) of a verified x-customer-token. */
  customerId: string;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
