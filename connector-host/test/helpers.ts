import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { EnventaProvider, type EnventaProviderOptions } from "../providers/enventa/provider.ts";
import type { TenantContext } from "../providers/contracts.ts";
import type { SimConfig } from "../simulator/config.ts";
import type { FixtureArticle } from "../simulator/fixture.ts";
import { ErpDatabase } from "../simulator/store.ts";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A fresh ERP database file in a temp dir, removed after the test. */
export function tempErp(config: Partial<SimConfig> = {}, fixture: FixtureArticle[] = []): { erp: ErpDatabase; path: string } {
  const dir = mkdtempSync(join(tmpdir(), "b2x-sim-"));
  const path = join(dir, "erp.db");
  const erp = ErpDatabase.create(path, { loginMs: 20, articles: 500, customers: 50, ...config }, fixture);
  cleanups.push(() => {
    erp.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { erp, path };
}

export function provider(erp: ErpDatabase, opts: Partial<EnventaProviderOptions> = {}): EnventaProvider {
  const p = new EnventaProvider(erp, { businessUnits: ["01"], sessionsPerUnit: 1, queueCapacity: 1000, keepAliveMs: 60_000, idleReleaseMs: 600_000, user: "b2x", ...opts });
  cleanups.push(() => p.close());
  return p;
}

export const ctx = (businessUnit = "01"): TenantContext => ({ tenantId: "t", businessUnit, requestId: "test" });
