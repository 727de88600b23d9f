import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseConnectorConfig } from "../../connector-host/runtime/config.ts";
import { type RunningConnector, startConnector } from "../../connector-host/runtime/connector.ts";
import { jsonLogger } from "../../connector-host/runtime/log.ts";
import { loadFixture } from "../../connector-host/simulator/fixture.ts";
import { ErpDatabase } from "../../connector-host/simulator/store.ts";

export interface DemoErpOptions {
  dataDir: string;
  articles: number;
  fixture?: string;
  /** Recreate the ERP database even if one exists (when --articles/--fixture change). */
  regenerate: boolean;
}

/** The demo tenant's simulated enventa: created once, reused by later starts. */
export function ensureDemoErp(opts: DemoErpOptions): { path: string; created: boolean; articles: number } {
  const path = join(opts.dataDir, "erp.db");
  if (existsSync(path) && !opts.regenerate) {
    const erp = ErpDatabase.open(path);
    const articles = erp.config.articles;
    erp.close();
    return { path, created: false, articles };
  }
  const fixture = opts.fixture ? loadFixture(opts.fixture) : [];
  // A short login keeps the first start quick; the real ERP's >2 s is the simulator's default.
  const erp = ErpDatabase.create(path, { articles: opts.articles, customers: 1_000, loginMs: 500 }, fixture);
  erp.close();
  return { path, created: true, articles: opts.articles + fixture.length };
}

/** The on-prem connector of the demo tenant, running in this process against the simulator. */
export function startDemoConnector(opts: { baseUrl: string; tenantId: string; connectorId: string; token: string; erpPath: string; verbose: boolean }): Promise<RunningConnector> {
  const config = parseConnectorConfig({
    tenantId: opts.tenantId,
    connectorId: opts.connectorId,
    edgeUrl: opts.baseUrl,
    businessUnits: ["default"],
    allowedOperations: ["erp.*", "crm.*", "pim.*", "sys.*"],
    erp: { database: opts.erpPath },
    healthPort: 0,
  });
  const quiet = () => {};
  return startConnector(config, opts.token, opts.verbose ? jsonLogger({ connectorId: opts.connectorId }, "info", (l) => console.log(`  [connector] ${l}`)) : quiet);
}
