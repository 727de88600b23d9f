import { readFileSync } from "node:fs";
import type { Provider } from "../providers/contracts.ts";
import { ErpDatabase } from "../simulator/store.ts";
import type { ConnectorConfig } from "./config.ts";
import { EdgeClient } from "./edge-client.ts";
import { createErpProvider } from "./erp-provider.ts";
import { watchErpEvents } from "./erp-events.ts";
import { IngestThread } from "./ingest-thread.ts";
import { startHealthServer } from "./health.ts";
import { jsonLogger, type Logger } from "./log.ts";

/** Baked in by the release build (scripts/release/build.ts); a bundle cannot read package.json. */
declare const __B2X_CONNECTOR_VERSION__: string | undefined;

export const CONNECTOR_VERSION: string =
  typeof __B2X_CONNECTOR_VERSION__ === "string" ? __B2X_CONNECTOR_VERSION__ : (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

export interface RunningConnector {
  client: EdgeClient;
  provider: Provider;
  healthPort: number;
  stop(): Promise<void>;
}

/** Wires ERP database, provider, tunnel client and health endpoint; `stop` drains and closes. */
export async function startConnector(config: ConnectorConfig, token: string, log: Logger = jsonLogger({ connectorId: config.connectorId, tenantId: config.tenantId })): Promise<RunningConnector> {
  const erp = ErpDatabase.open(config.erp.database);
  const settings = { erp: config.erp, businessUnits: config.businessUnits };
  const provider = createErpProvider(erp, settings);
  // Sync streams read and post from a thread of their own, on sessions of their own: live calls
  // on this thread never wait for a batch to be turned into JSON and sent.
  const ingest = new IngestThread({ database: config.erp.database, provider: settings, priority: config.syncPriority }, log);
  const client = new EdgeClient(config, token, provider, CONNECTOR_VERSION, log, ingest);
  const health = await startHealthServer(config.healthPort, () => ({
    healthy: client.status.state === "open",
    connectorId: config.connectorId,
    tenantId: config.tenantId,
    version: CONNECTOR_VERSION,
    tunnel: client.status,
    erp: provider.metrics(),
    sync: ingest.metrics(),
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
        await ingest.close();
        await provider.close();
        await health.close();
        erp.close();
      })();
      return stopping;
    },
  };
}
