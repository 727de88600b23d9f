// `npm run bench -- load [--articles 20000] [--steps 1,4,16,64] [--seconds 10] [--customers 200]`
// Bounded mixed storefront load (search 70 %, details + live price 25 %, orders 5 %) against the
// local stack on loopback: system Postgres, wrangler dev, a real connector process over a
// catalog synced through the real path. Each concurrency step runs a fixed time and stops by
// itself; per step: throughput, p50/p95/p99, error rate, and the CPU of every component read
// from /proc, to name the one at its limit. Ends with an exactly-once check of every order.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ErpDatabase } from "../connector-host/simulator/store.ts";
import { newCustomerSigningKey, signCustomerToken } from "../scripts/local/customer-keys.ts";
import { recordScenario } from "../test/support/scenario-log.ts";
import { type ConnectorProcess, startConnectorProcess } from "./lib/connector-process.ts";
import { benchAdmin, benchStack } from "./lib/live-stack.ts";
import type { LoadTarget, StepResult } from "./lib/load-mix.ts";
import { accountOrders, orderingCustomers, syncedCatalog } from "./lib/load-target.ts";
import { type Classifier, type CpuUse, cpuBetween, sampleCpu } from "./lib/proc-cpu.ts";
import { tsProcess } from "./lib/ts-process.ts";

const { values } = parseArgs({ options: { articles: { type: "string", default: "20000" }, steps: { type: "string", default: "1,4,16,64" }, seconds: { type: "string", default: "10" }, customers: { type: "string", default: "200" } } });
const N = Number(values.articles);
const STEPS = values.steps.split(",").map(Number);
const SECONDS = Number(values.seconds);
const TENANT = "bench-load";

interface Row extends StepResult {
  cpu: CpuUse;
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

const env = await benchStack("load");
let connector: ConnectorProcess | undefined;
try {
  const { stack } = env;
  const postmaster = Number(readFileSync(join(env.dir, "pg", "postmaster.pid"), "utf8").split("\n")[0]);
  const { privateJwk, publicJwk } = await newCustomerSigningKey("load");
  await benchAdmin(stack, "/tenants", { tenantId: TENANT, name: TENANT, config: { customerTokens: { issuer: TENANT, keys: [publicJwk] }, rateLimit: { requestsPerMinute: 10_000_000 } } });
  const apiKey = (await benchAdmin(stack, `/tenants/${TENANT}/api-keys`, {})).key as string;
  const erpPath = join(env.dir, "erp.db");
  const genStarted = performance.now();
  const erp = ErpDatabase.create(erpPath, { articles: N, customers: 1000, loginMs: 100 });
  console.log(`ERP generated: ${N} articles in ${((performance.now() - genStarted) / 1000).toFixed(1)} s`);

  // The connector in its own process, as on premises.
  connector = await startConnectorProcess(stack, TENANT, "load-1", erpPath);

  // A full sync through the real path: simulator -> connector -> edge -> Postgres.
  const syncStarted = performance.now();
  const run = (await benchAdmin(stack, `/tenants/${TENANT}/sync`, { mode: "full" })).runId as string;
  for (;;) {
    const runs = (await benchAdmin(stack, `/tenants/${TENANT}/sync`)).runs as { runId: string; status: string }[];
    const status = runs.find((r) => r.runId === run)?.status;
    if (status === "succeeded") break;
    if (status === "failed") throw new Error("sync failed");
    await wait(250);
  }
  const syncSeconds = (performance.now() - syncStarted) / 1000;
  const catalog = await syncedCatalog(env.pg.url, TENANT);
  console.log(`synced ${catalog.articleIds.length} articles in ${syncSeconds.toFixed(1)} s; ${catalog.searchTerms.length} search terms`);
  const customers = orderingCustomers(erp, Number(values.customers));
  const target: LoadTarget = {
    baseUrl: stack.baseUrl, apiKey, articleIds: catalog.articleIds, searchTerms: catalog.searchTerms,
    customerTokens: await Promise.all(customers.map((id) => signCustomerToken(privateJwk, TENANT, id, { expiresIn: "2h" }))),
  };

  // Components by process: the load generator and the connector are children we know.
  let loadPid = -1;
  const classify: Classifier = (p) => {
    if (p.pid === loadPid) return "load generator";
    if (p.pid === connector?.pid) return "connector";
    if (p.pid === postmaster) return "postgres";
    if (p.comm === "workerd") return "workerd";
    if (p.cmdline.includes("wrangler")) return "wrangler (node)";
    if (p.pid === process.pid) return "harness + ws proxy";
    return undefined;
  };

  const rows: Row[] = [];
  for (const [i, concurrency] of STEPS.entries()) {
    const stepFile = join(env.dir, `load-step-${i}.json`);
    writeFileSync(stepFile, JSON.stringify({ target, concurrency, durationMs: SECONDS * 1000, seed: 100 + i }));
    const load = tsProcess("bench/lib/load-client.ts", { env: { B2X_LOAD_FILE: stepFile } });
    loadPid = load.pid;
    await wait(300); // let the client start before measuring
    const before = sampleCpu(classify, [process.pid, postmaster]);
    // The second sample while the load generator still runs: once it exits, its CPU would move
    // into this process's reaped-children time and be counted as the harness's.
    await wait(SECONDS * 1000 - 300);
    const cpu = cpuBetween(before, sampleCpu(classify, [process.pid, postmaster]));
    const result = JSON.parse((await load.done).trim().split("\n").pop()!) as StepResult;
    rows.push({ ...result, cpu });
    console.log(`  concurrency ${concurrency}: ${result.rps.toFixed(0)} req/s, p50 ${result.latency.p50.toFixed(1)} ms, p99 ${result.latency.p99.toFixed(1)} ms, errors ${result.errors}`);
  }

  // Exactly once: every accepted order is in the ERP once (queued ones get time to drain).
  const accepted = rows.flatMap((r) => r.acceptedOrders);
  let account = accountOrders(erp, accepted);
  for (let i = 0; account.missing > 0 && i < 600; i++) {
    await wait(100);
    account = accountOrders(erp, accepted);
  }

  const components = [...new Set(rows.flatMap((r) => Object.keys(r.cpu.percent)))].sort();
  const peak = rows.reduce((best, r) => (r.rps > best.rps ? r : best), rows[0]!);
  const saturatedAt = rows.find((r, k) => k > 0 && r.rps < rows[k - 1]!.rps * 1.1) ?? undefined;
  const limitRow = saturatedAt ?? rows[rows.length - 1]!;
  const [bottleneck, bottleneckCpu] = Object.entries(limitRow.cpu.percent).filter(([k]) => k !== "load generator").sort((x, y) => y[1] - x[1])[0] ?? ["none", 0];

  console.log(`\nload: mixed storefront traffic (search 70%, details+price 25%, orders 5%), ${SECONDS} s per step, ${catalog.articleIds.length} synced articles, system Postgres, connector in its own process`);
  console.log(`${"conc".padStart(5)} ${"req/s".padStart(8)} ${"p50 ms".padStart(8)} ${"p95 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"errors".padStart(7)} ${"err %".padStart(6)} ${"search p50".padStart(11)} ${"detail p50".padStart(11)} ${"order p50".padStart(10)} ${"machine%".padStart(9)}  cpu % of one core per component (busiest thread)`);
  for (const r of rows) {
    const cpu = components.map((k) => `${k} ${(r.cpu.percent[k] ?? 0).toFixed(0)} (${(r.cpu.busiestThread[k] ?? 0).toFixed(0)})`).join(", ");
    console.log(`${String(r.concurrency).padStart(5)} ${r.rps.toFixed(1).padStart(8)} ${r.latency.p50.toFixed(1).padStart(8)} ${r.latency.p95.toFixed(1).padStart(8)} ${r.latency.p99.toFixed(1).padStart(8)} ${String(r.errors).padStart(7)} ${(r.errorRate * 100).toFixed(2).padStart(6)} ${r.byKind.search.p50.toFixed(1).padStart(11)} ${r.byKind.details.p50.toFixed(1).padStart(11)} ${r.byKind.order.p50.toFixed(1).padStart(10)} ${r.cpu.machinePercent.toFixed(0).padStart(9)}  ${cpu}`);
  }
  for (const r of rows) if (r.errorSamples.length) console.log(`  errors at ${r.concurrency}: ${r.errorSamples.join(" | ")}`);
  const verdict = saturatedAt
    ? `throughput stops growing at concurrency ${saturatedAt.concurrency} (${saturatedAt.rps.toFixed(0)} req/s vs ${rows[rows.indexOf(saturatedAt) - 1]!.rps.toFixed(0)} before); peak ${peak.rps.toFixed(0)} req/s at ${peak.concurrency}`
    : `throughput still grew at the last step (${peak.rps.toFixed(0)} req/s at ${peak.concurrency})`;
  // Whole-machine view: the stack's own processes vs everything else on the host's cores.
  const ours = Object.values(limitRow.cpu.percent).reduce((a, b) => a + b, 0);
  const others = Math.max(0, (limitRow.cpu.machinePercent * limitRow.cpu.cores) - ours);
  const hostBound = limitRow.cpu.machinePercent >= 90;
  const limitNote =
    `busiest component there: ${bottleneck} at ${bottleneckCpu.toFixed(0)}% of one core (its busiest thread ${(limitRow.cpu.busiestThread[bottleneck] ?? 0).toFixed(0)}%); ` +
    `host CPU ${limitRow.cpu.machinePercent.toFixed(0)}% of ${limitRow.cpu.cores} cores (this run's processes ${ours.toFixed(0)}%, other processes ${others.toFixed(0)}% of one core)` +
    (hostBound ? ": the host's CPUs are the limit, the stack's components share them" : "");
  console.log(`${verdict}; ${limitNote}`);
  console.log(`orders: ${account.accepted} accepted, ${account.inErp} in the ERP, ${account.missing} missing, ${account.duplicated} duplicated`);

  for (const r of rows) {
    recordScenario({
      suite: "load", name: `mixed load, concurrency ${r.concurrency}`, passed: r.errors === 0,
      figures: {
        concurrency: r.concurrency, seconds: Number(r.seconds.toFixed(1)), requests: r.requests, rps: Number(r.rps.toFixed(1)), errors: r.errors, errorRate: Number(r.errorRate.toFixed(4)),
        p50: Number(r.latency.p50.toFixed(1)), p95: Number(r.latency.p95.toFixed(1)), p99: Number(r.latency.p99.toFixed(1)), orders: r.acceptedOrders.length,
        machineCpu: Number(r.cpu.machinePercent.toFixed(0)),
        ...Object.fromEntries(components.map((k) => [`cpu:${k}`, Number((r.cpu.percent[k] ?? 0).toFixed(0))])),
      },
    });
  }
  recordScenario({ suite: "load", name: "orders under load: exactly once", passed: account.missing === 0 && account.duplicated === 0, lostOrders: account.missing, duplicatedOrders: account.duplicated, figures: { accepted: account.accepted, inErp: account.inErp }, notes: `${verdict}; ${limitNote}` });
  console.log(JSON.stringify({ bench: "load", articles: catalog.articleIds.length, secondsPerStep: SECONDS, syncSeconds, steps: rows.map(({ acceptedOrders, ...r }) => ({ ...r, orders: acceptedOrders.length })), saturation: { verdict, bottleneck, limitNote }, orders: account }));
  erp.close();
} finally {
  await connector?.stop();
  await env.stop();
}
