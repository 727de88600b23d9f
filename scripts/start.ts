// `npm start`: the whole local stack on embedded defaults, on a fresh machine with no system
// services. Ctrl-C stops everything it started; a second start reuses the data in .data/local.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type DemoTenant, ensureDemoTenant } from "./local/demo-tenant.ts";
import { startStack } from "./local/stack.ts";

const { values: args } = parseArgs({
  options: {
    articles: { type: "string", default: "5000" },
    fixture: { type: "string" },
    port: { type: "string", default: "8787" },
    "data-dir": { type: "string", default: ".data/local" },
    "database-url": { type: "string" },
    verbose: { type: "boolean", default: false },
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

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) {
    console.log("second signal: exiting now");
    process.exit(1);
  }
  stopping = true;
  log(`${signal}: stopping the local stack...`);
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

console.log(`
B2X edge gateway — local stack ready in ${((performance.now() - t0) / 1000).toFixed(1)} s

  Worker        ${stack.baseUrl}
  Postgres      ${stack.databaseUrl}   (Neon driver via ws proxy ${stack.wsProxy})
  Admin token   ${stack.adminToken}
  Tenant        ${tenant.id}
  API key       ${tenant.apiKey}
  Customer      ${tenant.customerId}, x-customer-token: ${tenant.customerToken}
  Connector     ${tenant.connectorId}, token: ${tenant.connectorToken}

  Saved to .data/local-stack.json. Try:
    curl ${stack.baseUrl}/v1/ready
    curl -H "authorization: Bearer ${tenant.apiKey}" ${stack.baseUrl}/v1/catalog/articles?limit=5
    curl -H "authorization: Bearer ${stack.adminToken}" ${stack.baseUrl}/v1/admin/tenants

  Ctrl-C stops everything.
`);
