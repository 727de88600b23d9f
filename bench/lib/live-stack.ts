import { createWriteStream } from "node:fs";
import { join, resolve } from "node:path";
import { parseConnectorConfig } from "../../connector-host/runtime/config.ts";
import { type RunningConnector, startConnector } from "../../connector-host/runtime/connector.ts";
import { jsonLogger } from "../../connector-host/runtime/log.ts";
import { ErpDatabase } from "../../connector-host/simulator/store.ts";
import { newCustomerSigningKey, signCustomerToken } from "../../scripts/local/customer-keys.ts";
import { type Stack, startStack } from "../../scripts/local/stack.ts";
import type { RunningPostgres } from "../../scripts/local/embedded-postgres.ts";
import { freshBenchDir, startBenchPostgres } from "./bench-postgres.ts";

/** A tenant with keys, a customer-token key and its simulated ERP, no connector yet. */
export interface ProvisionedTenant {
  tenantId: string;
  apiKey: string;
  customerToken: (customerId: string) => Promise<string>;
  erp: ErpDatabase;
  erpPath: string;
}

export interface BenchTenant extends ProvisionedTenant {
  connector: RunningConnector;
}

/** System Postgres + the local stack (wrangler dev) for a benchmark, in .data/bench/<name>. */
export async function benchStack(name: string): Promise<{ stack: Stack; pg: RunningPostgres; dir: string; stop(): Promise<void> }> {
  const root = resolve(import.meta.dirname, "../..");
  const dir = freshBenchDir(name);
  const pg = await startBenchPostgres(join(dir, "pg"));
  const stack = await startStack({
    root, dataDir: join(dir, "stack"), varsFile: join(dir, "worker.vars"), databaseUrl: pg.url,
    // B2X_BENCH_LOG=<substring> prints the Worker/DO log lines that contain it (e.g. "sync stage").
    ...(process.env.B2X_BENCH_LOG && { workerOutput: (l: string) => l.includes(process.env.B2X_BENCH_LOG!) && console.log(`  [worker] ${l}`) }),
  });
  return {
    stack, pg, dir,
    async stop() {
      await stack.stop();
      await pg.stop();
    },
  };
}

/** An admin API call on the bench stack (GET without a body, POST with one). */
export async function benchAdmin(stack: Pick<Stack, "baseUrl" | "adminToken">, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${stack.baseUrl}/v1/admin${path}`, { method: body === undefined ? "GET" : "POST", headers: { authorization: `Bearer ${stack.adminToken}`, "content-type": "application/json" }, ...(body !== undefined && { body: JSON.stringify(body) }) });
  return (await res.json()) as Record<string, unknown>;
}

/**
 * Starts a connector of the tenant in this process (with a fresh connector token) and waits until
 * its tunnel is open. It logs as the real one does (a JSON line per call at info), into a file
 * beside the ERP database, so its logging cost is part of what is measured.
 */
export async function startBenchConnector(stack: Stack, tenantId: string, erpPath: string): Promise<RunningConnector> {
  const token = (await benchAdmin(stack, `/tenants/${tenantId}/connector-tokens`, { connectorId: "bench-1" })).token as string;
  const connector = await startConnector(
    parseConnectorConfig({ tenantId, connectorId: "bench-1", edgeUrl: stack.baseUrl, businessUnits: ["default"], allowedOperations: ["erp.*", "pim.*", "crm.*", "sys.*"], erp: { database: erpPath }, healthPort: 0 }),
    token,
    connectorLog(erpPath, tenantId),
  );
  while (connector.client.status.state !== "open") await new Promise((r) => setTimeout(r, 20));
  return connector;
}

function connectorLog(erpPath: string, tenantId: string) {
  const file = createWriteStream(erpPath.replace(/(-erp)?\.db$/, "-connector.log"), { flags: "a" });
  return jsonLogger({ connectorId: "bench-1", tenantId }, "info", (line) => void file.write(`${line}\n`));
}

/** Creates the tenant (config, API key, customer-token key) and generates its simulated ERP file. */
export async function provisionBenchTenant(stack: Pick<Stack, "baseUrl" | "adminToken">, dir: string, tenantId: string, config: Record<string, unknown>, articles: number): Promise<ProvisionedTenant> {
  const { privateJwk, publicJwk } = await newCustomerSigningKey("bench");
  await benchAdmin(stack, "/tenants", { tenantId, name: tenantId, config: { ...config, customerTokens: { issuer: tenantId, keys: [publicJwk] } } });
  const apiKey = (await benchAdmin(stack, `/tenants/${tenantId}/api-keys`, {})).key as string;
  const erpPath = join(dir, `${tenantId}-erp.db`);
  const erp = ErpDatabase.create(erpPath, { articles, customers: 1000, loginMs: 100 });
  const customerToken = (customerId: string) => signCustomerToken(privateJwk, tenantId, customerId, { expiresIn: "2h" });
  return { tenantId, apiKey, customerToken, erp, erpPath };
}

/** A tenant with keys, a customer-token key, its simulated ERP and a connector in this process. */
export async function benchTenant(stack: Stack, dir: string, tenantId: string, config: Record<string, unknown>, articles: number): Promise<BenchTenant> {
  const tenant = await provisionBenchTenant(stack, dir, tenantId, config, articles);
  const connector = await startBenchConnector(stack, tenantId, tenant.erpPath);
  await new Promise((r) => setTimeout(r, 200));
  return { ...tenant, connector };
}
