// `npm run connector -- --config connector.json [--edge URL] [--token T]`: the on-prem connector.
// It dials the edge (outbound only), serves the ERP through per-BusinessUnit actors, and drains
// in-flight calls on SIGTERM/SIGINT.
import { parseArgs } from "node:util";
import { loadConnectorConfig } from "./runtime/config.ts";
import { CONNECTOR_VERSION, startConnector } from "./runtime/connector.ts";
import { jsonLogger } from "./runtime/log.ts";
import { bridgeToSupervisor } from "./supervisor/child-bridge.ts";

const { values } = parseArgs({
  options: {
    config: { type: "string" },
    edge: { type: "string" },
    token: { type: "string" },
    "connector-id": { type: "string" },
    "health-port": { type: "string" },
    database: { type: "string" },
  },
  strict: true,
});

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

if (!values.config) fail("usage: npm run connector -- --config connector.json [--edge URL] [--token TOKEN] [--connector-id ID] [--health-port N] [--database erp.db]");
const overrides: Record<string, unknown> = {};
if (values.edge) overrides.edgeUrl = values.edge;
if (values["connector-id"]) overrides.connectorId = values["connector-id"];
if (values["health-port"]) overrides.healthPort = Number(values["health-port"]);
let config;
try {
  config = loadConnectorConfig(values.config, overrides);
  if (values.database) config.erp.database = values.database;
} catch (err) {
  fail((err as Error).message);
}
const token = values.token ?? process.env.B2X_CONNECTOR_TOKEN ?? config.token;
if (!token) fail("no connector token: pass --token, set B2X_CONNECTOR_TOKEN, or put it in the config");

const log = jsonLogger({ connectorId: config.connectorId, tenantId: config.tenantId });
const connector = await startConnector(config, token, log);
bridgeToSupervisor(connector.client, CONNECTOR_VERSION, log);
log("info", "connector started", { version: CONNECTOR_VERSION, supervised: Boolean(process.send), edge: config.edgeUrl, healthPort: connector.healthPort, businessUnits: config.businessUnits, allowed: config.allowedOperations });

// Run by the supervisor: when it goes away, stop too rather than linger beside its next child.
process.once("disconnect", () => process.kill(process.pid, "SIGTERM"));

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    log("info", "draining", { signal });
    connector.stop().then(
      () => {
        log("info", "stopped");
        process.exit(0);
      },
      (err: unknown) => {
        log("error", "stop failed", { error: String(err) });
        process.exit(1);
      },
    );
  });
}
