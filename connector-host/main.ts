// `npm run connector -- --config connector.json [--edge URL] [--token T]`: the on-prem connector.
// It dials the edge (outbound only), serves the ERP through per-BusinessUnit actors, and drains
// in-flight calls on SIGTERM/SIGINT.
import { isMainThread, workerData } from "node:worker_threads";
import { connectorCli, stopOnSignals } from "./runtime/cli.ts";
import { CONNECTOR_VERSION, startConnector } from "./runtime/connector.ts";
import { isIngestWorkerData } from "./runtime/ingest-messages.ts";
import { runIngestWorker } from "./runtime/ingest-worker.ts";
import { jsonLogger } from "./runtime/log.ts";
import { bridgeToSupervisor } from "./supervisor/child-bridge.ts";

async function main(): Promise<void> {
  const { values, config, token } = connectorCli("usage: npm run connector -- --config connector.json [--edge URL] [--token TOKEN] [--connector-id ID] [--health-port N] [--database erp.db]");
  if (values.database) config.erp.database = values.database;

  const log = jsonLogger({ connectorId: config.connectorId, tenantId: config.tenantId });
  const connector = await startConnector(config, token, log);
  bridgeToSupervisor(connector.client, CONNECTOR_VERSION, log);
  log("info", "connector started", { version: CONNECTOR_VERSION, supervised: Boolean(process.send), edge: config.edgeUrl, healthPort: connector.healthPort, businessUnits: config.businessUnits, allowed: config.allowedOperations });

  // Run by the supervisor: when it goes away, stop too rather than linger beside its next child.
  process.once("disconnect", () => process.kill(process.pid, "SIGTERM"));

  stopOnSignals(log, "connector", () => connector.stop());
}

// The release bundle is one file: it is started again as the connector's ingest thread.
if (!isMainThread && isIngestWorkerData(workerData)) runIngestWorker();
else await main();
