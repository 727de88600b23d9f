// `npm start`: the whole local stack on embedded defaults, on a fresh machine with no system
// services. Ctrl-C stops everything it started; a second start reuses the data in .data/local.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { RunningConnector } from "../connector-host/runtime/connector.ts";
import { ensureDemoErp, startDemoConnector } from "./local/demo-connector.ts";
import { type DemoTenant, ensureDemoTenant } from "./local/demo-tenant.ts";
import { waitFor } from "./local/ports.ts";
import { startStack } from "./local/stack.ts";

const { values: args } = parseArgs({
  options: {
    articles: { type: "string", default: "5000" },
    fixture: { type: "string" },
    port: { type: "string", default: "8787" },
    "data-dir": { type: "string", default: ".data/local" },
    "database-url": { type: "string" },
    verbose: { type: "boolean", default: false },
    regenerate: { type: "boolean", default: false },
  },
  strict: true,
});

const root = resolve(import.meta.dirname, "..");
const dataDir = resolve(root, args["data-dir"]!);
const stackFile = resolve(root, ".data/local-stack.json");
const articles = Number(args.articles);
if (!Number.isInteger(articles) || articles < 0) throw new Error(`--articles must be a whole number, got '${args.articles}'`);
if (args.fixture && !existsSync(args.fixture)) throw new Error(`--fixture file not found: ${args.fixture}`);

const t0 = performance.now();
const log = (line: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}`);
const stack = await startStack({
  root,
  dataDir,
  varsFile: join(root, ".dev.vars"),
  workerPort: Number(args.port),
  postgresPort: 54329,
  proxyPort: 54330,
  ...(args["database-url"] && { databaseUrl: args["database-url"] }),
  log,
  ...(args.verbose && { workerOutput: (l: string) => console.log(`  [worker] ${l}`) }),
});

const stopHooks: (() => Promise<void>)[] = [];
let stopping = false;
async function shutdown(signal: string) {
  if (stopping) {
    console.log("second signal: exiting now");
    process.exit(1);
  }
  stopping = true;
  log(`${signal}: stopping the local stack...`);
  for (const hook of stopHooks.reverse()) await hook().catch(() => {});
  await stack.stop();
  log("stopped");
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));

const previous = existsSync(stackFile) ? (JSON.parse(readFileSync(stackFile, "utf8")) as { tenants?: DemoTenant[] }).tenants?.[0] : undefined;
const tenant = await ensureDemoTenant(stack, dataDir, previous);
const info = { baseUrl: stack.baseUrl, adminToken: stack.adminToken, tenants: [tenant] };
writeFileSync(stackFile, JSON.stringify(info, null, 2), { mode: 0o600 });
log(`demo tenant '${tenant.id}' ready`);

const erp = ensureDemoErp({ dataDir, articles, ...(args.fixture && { fixture: args.fixture }), regenerate: args.regenerate || Boolean(args.fixture) });
log(`enventa simulator: ${erp.path} (${erp.articles} articles, ${erp.created ? "generated" : "reused"})`);
const connector = await startDemoConnector({ baseUrl: stack.baseUrl, tenantId: tenant.id, connectorId: tenant.connectorId, token: tenant.connectorToken, erpPath: erp.path, verbose: Boolean(args.verbose) });
stopHooks.push(() => connector.stop());
await waitForConnector(connector);
log(`connector '${tenant.connectorId}' online (health on 127.0.0.1:${connector.healthPort})`);
await firstSync(stack.baseUrl, stack.adminToken, tenant.id, erp.created);

console.log(`
B2X edge gateway — local stack ready in ${((performance.now() - t0) / 1000).toFixed(1)} s

  Worker        ${stack.baseUrl}
  Postgres      ${stack.databaseUrl}   (Neon driver via ws proxy ${stack.wsProxy})
  Admin token   ${stack.adminToken}
  Ops page      ${stack.baseUrl}/ops   (sign in with the admin token)   metrics: ${stack.baseUrl}/metrics
  Tenant        ${tenant.id}
  API key       ${tenant.apiKey}
  Customer      ${tenant.customerId}, x-customer-token: ${tenant.customerToken}
  Connector     ${tenant.connectorId} (in this process, enventa simulator ${erp.path}), token: ${tenant.connectorToken}

  Saved to .data/local-stack.json. Try:
    curl ${stack.baseUrl}/v1/ready
    curl -H "authorization: Bearer ${tenant.apiKey}" ${stack.baseUrl}/v1/catalog/articles?limit=5
    curl -H "authorization: Bearer ${stack.adminToken}" ${stack.baseUrl}/v1/admin/tenants
    curl -H "authorization: Bearer ${tenant.apiKey}" -H "x-customer-token: ${tenant.customerToken}" \\
         -H "content-type: application/json" -d '{"items":[{"articleId":"1000001","quantity":10}]}' ${stack.baseUrl}/v1/prices
    npm run sim -- mutate --db ${erp.path} --prices 50 --stock 50     # change the ERP, watch the cache follow

  Ctrl-C stops everything.
`);

async function waitForConnector(c: RunningConnector): Promise<void> {
  await waitFor("the demo connector to come online", async () => c.client.status.state === "open", 30_000);
}

/** A full sync when the ERP is new (an incremental one otherwise), so the catalog answers at once. */
async function firstSync(baseUrl: string, adminToken: string, tenantId: string, full: boolean): Promise<void> {
  const headers = { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
  const mode = full ? "full" : "incremental";
  const started = await fetch(`${baseUrl}/v1/admin/tenants/${tenantId}/sync`, { method: "POST", headers, body: JSON.stringify({ mode }) });
  const { runId } = (await started.json()) as { runId: string };
  log(`sync: ${mode} run ${runId} started`);
  let last = "";
  await waitFor(
    `sync run ${runId}`,
    async () => {
      const body = (await (await fetch(`${baseUrl}/v1/admin/tenants/${tenantId}/sync`, { headers })).json()) as { runs: { runId: string; status: string; stage: string; rowsDone: number; errors: { message: string }[] }[] };
      const run = body.runs.find((r) => r.runId === runId);
      if (!run) return false;
      if (run.status === "failed") throw new Error(`sync failed: ${run.errors.at(-1)?.message}`);
      const line = `${run.stage} ${run.rowsDone} rows`;
      if (line !== last && run.status === "running") log(`sync: ${line}`);
      last = line;
      return run.status === "succeeded";
    },
    30 * 60_000,
  );
  log(`sync: ${mode} run ${runId} done`);
}
