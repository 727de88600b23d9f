// `npm run connector:supervised -- --config connector.json [--edge URL] [--token T] [--releases-dir DIR]`
// The on-prem service entry point for self-updating connectors: runs the connector as a child
// process and moves it to the version the edge wants, with automatic rollback (ADR-034).
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { connectorCli, stopOnSignals } from "../runtime/cli.ts";
import { CONNECTOR_VERSION } from "../runtime/connector.ts";
import { jsonLogger } from "../runtime/log.ts";
import { CONNECTOR_NODE_FLAGS } from "../runtime/node-flags.ts";
import { ReleaseStore } from "./release-store.ts";
import { Supervisor } from "./supervisor.ts";

const cli = connectorCli("usage: npm run connector:supervised -- --config connector.json [--edge URL] [--token TOKEN] [--connector-id ID] [--health-port N] [--database erp.db] [--releases-dir DIR]", true);
const { values, config, token } = cli;
const configPath = resolve(cli.configPath);

// The children get the same arguments minus the token, which travels in their environment.
const childArgs = ["--config", configPath];
for (const name of ["edge", "connector-id", "health-port"] as const) if (values[name]) childArgs.push(`--${name}`, values[name]);
if (values.database) childArgs.push("--database", resolve(values.database));

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const log = jsonLogger({ connectorId: config.connectorId, tenantId: config.tenantId, component: "supervisor" });
const store = new ReleaseStore(resolve(values["releases-dir"] ?? resolve(dirname(configPath), config.releases.dir)));
const supervisor = new Supervisor({
  store,
  keys: config.releases.publicKeys,
  source: { baseUrl: config.releases.downloadUrl ?? config.edgeUrl, token },
  sourceBuild: { version: CONNECTOR_VERSION, spec: { entry: resolve(repoRoot, "connector-host/main.ts"), execArgv: [...CONNECTOR_NODE_FLAGS, "--import", "tsx"], cwd: repoRoot } },
  childArgs,
  childEnv: { B2X_CONNECTOR_TOKEN: token },
  cwd: process.cwd(),
  graceMs: config.releases.graceMs,
  probationMs: config.releases.probationMs,
  // The edge answers every heartbeat; three missed answers (and a second of slack) is a stall.
  heartbeatStallMs: 3 * config.heartbeatMs + 1_000,
  stopGraceMs: config.drainTimeoutMs + 2_000,
  log,
});
if (Object.keys(config.releases.publicKeys).length === 0) log("warn", "no trusted release keys in the config (releases.publicKeys): every update will be refused");
await supervisor.start();
log("info", "supervisor started", { shipped: CONNECTOR_VERSION, running: supervisor.running, releasesDir: store.dir });

stopOnSignals(log, "supervisor", () => supervisor.stop());
