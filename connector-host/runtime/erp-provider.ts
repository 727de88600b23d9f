import { EnventaProvider, ENVENTA_INFO, type EnventaProviderOptions } from "../providers/enventa/provider.ts";
import type { Provider } from "../providers/contracts.ts";
import { ProviderRegistry } from "../providers/registry.ts";
import type { ErpDatabase } from "../simulator/store.ts";
import type { ConnectorConfig } from "./config.ts";

/** The providers this build of the connector ships. */
export function defaultRegistry(erp: ErpDatabase): ProviderRegistry {
  return new ProviderRegistry().register<EnventaProviderOptions>({ info: ENVENTA_INFO, create: (opts) => new EnventaProvider(erp, opts) });
}

/** What a thread needs to build the configured ERP provider on its own ERP sessions. */
export interface ErpProviderSettings {
  erp: ConnectorConfig["erp"];
  businessUnits: string[];
}

/** The configured ERP provider over `erp`; `sessionsPerUnit` overrides the configured pool size. */
export function createErpProvider(erp: ErpDatabase, settings: ErpProviderSettings, sessionsPerUnit = settings.erp.sessionsPerBusinessUnit): Provider {
  return defaultRegistry(erp)
    .resolve<EnventaProviderOptions>("erp", settings.erp.provider, 1)
    .create({
      businessUnits: settings.businessUnits,
      sessionsPerUnit,
      queueCapacity: settings.erp.queueCapacity,
      keepAliveMs: settings.erp.keepAliveMs,
      idleReleaseMs: settings.erp.idleReleaseMs,
      user: settings.erp.user,
    });
}
