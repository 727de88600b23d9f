import type { Database } from "./db/client.ts";
import type { Logger } from "./lib/log.ts";

export interface TenantPrincipal {
  tenantId: string;
  keyId: string;
}

export interface AppVariables {
  requestId: string;
  log: Logger;
  /** Opened lazily on first use, closed when the response is done. */
  db: () => Database;
  tenant: TenantPrincipal;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
