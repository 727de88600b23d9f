import { readFileSync } from "node:fs";
import { EnventaProvider, ENVENTA_INFO, type EnventaProviderOptions } from "../providers/enventa/provider.ts";
import type { Provider } from "../providers/contracts.ts";
import { ProviderRegistry } from "../providers/registry.ts";
import { ErpDatabase } from "../simulator/store.ts";
import type { ConnectorConfig } from "./config.ts";
import { EdgeClient } from "./edge-client.ts";
import { watchErpEvents } from "./erp-events.ts";
import { startHealthServer } from "./health.ts";
import { jsonLogger, type Logger } from "./log.ts";

/** Baked in by the release build (scripts/release/build.ts); a bundle cannot read package.json. */
declare const __B2X_CONNECTOR_VERSION__: string | undefined;

export const CONNECTOR_VERSION: string =
  typeof __B2X_CONNECTOR_VERSION__ === "string" ? __B2X_CONNECTOR_VERSION__ : (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** The providers this build of the connector ships. */
export function defaultRegistry(erp: ErpDatabase): ProviderRegistry {
  return new ProviderRegistry().register<EnventaProviderOptions>({ info: ENVENTA_INFO, create: (opts) => new EnventaProvider(erp, opts) });
}

export interface RunningConnector {
  client: EdgeClient;
  provider: Provider;
  healthPort: number;
  stop(): Promise<void>;
}

/** Wires ERP database, provider, tunnel client and health endpoint; `stop` drains and closes. */
export async function startConnector(config: ConnectorConfig, token: string, log: Logger = jsonLogger({ connectorId: config.connectorId, tenantId: config.tenantId })): Promise<RunningConnector> {
  const erp = ErpDatabase.open(config.erp.database);
  const provider = defaultRegistry(erp)
    .resolve<EnventaProviderOptions>("erp", config.erp.provider, 1)
    .create({
      businessUnits: config.businessUnits,
      sessionsPerUnit: config.erp.sessionsPerBusinessUnit,
      queueCapacity: config.erp.queueCapacity,
      keepAliveMs: config.erp.keepAliveMs,
      idleReleaseMs: config.erp.idleReleaseMs,
      user: config.erp.user,
    });
  const client = new EdgeClient(config, token, provider, CONNECTOR_VERSION, log);
  const health = await startHealthServer(config.healthPort, () => ({
    healthy: client.status.state === "open",
    connectorId: config.connectorId,
    tenantId: config.tenantId,
    version: CONNECTOR_VERSION,
    tunnel: client.status,
    erp: provider.metrics(),
  }));
  if (config.erp.warmUp) {
    provider.warmUp?.().catch((err: unknown) => log("warn", "ERP warm-up failed; sessions will be created on first use", { error: String(err) }));
  }
  client.start();
  const stopEvents = watchErpEvents(erp, client, log, config.eventPollMs);
  let stopping: Promise<void> | undefined;
  return {
    client,
    provider,
    healthPort: health.port,
    stop() {
      stopping ??= (async () => {
        stopEvents();
        await client.stop();
        await provider.close();
        await health.close();
        erp.close();
      })();
      return stopping;
    },
  };
}
