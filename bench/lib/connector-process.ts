import { writeFileSync } from "node:fs";
import { freePort, waitFor } from "../../scripts/local/ports.ts";
import type { Stack } from "../../scripts/local/stack.ts";
import { CONNECTOR_NODE_FLAGS } from "../../connector-host/runtime/node-flags.ts";
import { benchAdmin } from "./live-stack.ts";
import { stopTsProcess, tsProcess } from "./ts-process.ts";

export interface ConnectorProcess {
  pid: number;
  /** Its JSON log lines (info and up), beside the ERP database. */
  logFile: string;
  healthPort: number;
  /** SIGTERM: the connector drains its in-flight calls and exits. */
  stop(): Promise<void>;
}

/**
 * The connector as on premises: `connector-host/main.ts --config <file>` in its own process with a
 * fresh connector token in B2X_CONNECTOR_TOKEN, against the ERP database file the bench created
 * (the simulator is made for several openers: the child sees the bench's later writes through
 * SQLite's data_version). It logs at info, as deployed, into a file beside the ERP database.
 * Resolves once its tunnel is open (its health endpoint turns healthy after the edge's welcome).
 */
export async function startConnectorProcess(edge: Pick<Stack, "baseUrl" | "adminToken">, tenantId: string, connectorId: string, erpPath: string, ingestOrigin?: string): Promise<ConnectorProcess> {
  const token = (await benchAdmin(edge, `/tenants/${tenantId}/connector-tokens`, { connectorId })).token;
  if (typeof token !== "string") throw new Error(`no connector token issued for ${tenantId}`);
  const base = erpPath.replace(/(-erp)?\.db$/, "-connector");
  const configPath = `${base}.json`;
  const logFile = `${base}.log`;
  const healthPort = await freePort();
  writeFileSync(configPath, JSON.stringify({ tenantId, connectorId, edgeUrl: edge.baseUrl, businessUnits: ["default"], allowedOperations: ["erp.*", "pim.*", "crm.*", "sys.*"], erp: { database: erpPath }, healthPort, ...(ingestOrigin && { ingestOrigin }) }));
  const child = tsProcess("connector-host/main.ts", { env: { B2X_CONNECTOR_TOKEN: token }, args: ["--config", configPath], nodeFlags: CONNECTOR_NODE_FLAGS, stdoutFile: logFile });
  const exited = child.done.then(
    () => new Error("connector exited before its tunnel opened"),
    (err: unknown) => err as Error,
  );
  try {
    await Promise.race([
      waitFor(`connector ${connectorId} tunnel`, async () => (await fetch(`http://127.0.0.1:${healthPort}/health`)).status === 200, 60_000),
      exited.then((err) => Promise.reject(err)),
    ]);
  } catch (err) {
    await stopTsProcess(child, 2_000);
    throw new Error(`${String(err)} (log: ${logFile})\n${child.stderrTail()}`);
  }
  // Once up, a crash is reported at once rather than left for a timeout to find.
  let stopping = false;
  void exited.then((err) => !stopping && console.error(`connector ${connectorId} ended: ${err.message} (log: ${logFile})`));
  return {
    pid: child.pid, logFile, healthPort,
    stop() {
      stopping = true;
      return stopTsProcess(child);
    },
  };
}
