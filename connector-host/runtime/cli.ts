import { parseArgs } from "node:util";
import { type ConnectorConfig, loadConnectorConfig } from "./config.ts";
import type { Logger } from "./log.ts";

/** Options both entry points take (`npm run connector` and `npm run connector:supervised`). */
const OPTIONS = {
  config: { type: "string" },
  edge: { type: "string" },
  token: { type: "string" },
  "connector-id": { type: "string" },
  "health-port": { type: "string" },
  database: { type: "string" },
  "releases-dir": { type: "string" },
} as const;

export type CliValues = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>["values"];

export function failCli(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/**
 * Parses the command line, loads the config file with the command-line overrides and finds the
 * token (flag, then B2X_CONNECTOR_TOKEN, then the config); any problem ends the process with
 * the usage or the reason, exit code 2.
 */
export function connectorCli(usage: string, supervised = false): { values: CliValues; configPath: string; config: ConnectorConfig; token: string } {
  const { values } = parseArgs({ options: OPTIONS, strict: true });
  if (!values.config) failCli(usage);
  if (!supervised && values["releases-dir"]) failCli("--releases-dir belongs to npm run connector:supervised");
  const overrides: Record<string, unknown> = {};
  if (values.edge) overrides.edgeUrl = values.edge;
  if (values["connector-id"]) overrides.connectorId = values["connector-id"];
  if (values["health-port"]) overrides.healthPort = Number(values["health-port"]);
  let config: ConnectorConfig;
  try {
    config = loadConnectorConfig(values.config, overrides);
  } catch (err) {
    failCli((err as Error).message);
  }
  const token = values.token ?? process.env.B2X_CONNECTOR_TOKEN ?? config.token;
  if (!token) failCli("no connector token: pass --token, set B2X_CONNECTOR_TOKEN, or put it in the config");
  return { values, configPath: values.config, config, token };
}

/**
 * SIGTERM/SIGINT stop the process gracefully (drain, then exit 0; a failed stop exits 1); a
 * second signal while stopping exits at once.
 */
export function stopOnSignals(log: Logger, what: string, stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1);
      stopping = true;
      log("info", `${what} stopping`, { signal });
      stop().then(
        () => {
          log("info", `${what} stopped`);
          process.exit(0);
        },
        (err: unknown) => {
          log("error", `${what} stop failed`, { error: String(err) });
          process.exit(1);
        },
      );
    });
  }
}
