// `npm run bench -- sync [--articles 1500000] [--changes 10000]`
// Full sync of the simulated catalog through the real path (simulator -> connector -> tunnel ->
// TenantSession -> Postgres) against the raw floor in the same run (COPY of the same rows into
// tables of the same shape, then building the same indexes); an incremental run of changed
// articles; and live price latency while the full run is going vs idle.
import { parseArgs } from "node:util";
import pg from "pg";
import { mutate } from "../connector-host/simulator/mutate.ts";
import type { ErpDatabase } from "../connector-host/simulator/store.ts";
import { copyCatalog } from "./lib/copy-catalog.ts";
import { benchStack, benchTenant } from "./lib/live-stack.ts";
import { type Summary, summarize } from "./lib/stats.ts";

const { values } = parseArgs({ options: { articles: { type: "string", default: "1500000" }, changes: { type: "string", default: "10000" }, batch: { type: "string", default: "2000" } } });
const N = Number(values.articles);
const CHANGES = Number(values.changes);

/** The floor: the same rows COPYed into tables of the same shape, then the same indexes built. */
async function floor(url: string, erp: ErpDatabase): Promise<{ seconds: number; copySeconds: number; indexSeconds: number; rows: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS floor CASCADE; CREATE SCHEMA floor`);
    for (const t of ["articles", "media", "cross_references"]) await c.query(`CREATE TABLE floor.${t} (LIKE public.${t} INCLUDING DEFAULTS INCLUDING GENERATED)`);
    const started = performance.now();
    const rows = await copyCatalog(c, erp, "floor", "floor");
    const copied = performance.now();
    const idx = await c.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename IN ('articles', 'media', 'cross_references')`);
    for (const r of idx.rows as { indexname: string; indexdef: string }[]) {
      await c.query(r.indexdef.replace(`INDEX ${r.indexname} ON public.`, `INDEX floor_${r.indexname} ON floor.`));
    }
    const done = performance.now();
    return { seconds: (done - started) / 1000, copySeconds: (copied - started) / 1000, indexSeconds: (done - copied) / 1000, rows };
  } finally {
    await c.end();
  }
}

const env = await benchStack("sync");
try {
  const { stack } = env;
  const tenant = await benchTenant(stack, env.dir, "bench-sync", { erpProvider: { syncBatchSize: Number(values.batch) }, cache: { pricesTtlSeconds: 30 }, rateLimit: { requestsPerMinute: 10_000_000 } }, N);
  const token = await tenant.customerToken("K10001");
  const admin = async (path: string, body?: unknown) => (await (await fetch(`${stack.baseUrl}/v1/admin${path}`, { method: body === undefined ? "GET" : "POST", headers: { authorization: `Bearer ${stack.adminToken}`, "content-type": "application/json" }, ...(body !== undefined && { body: JSON.stringify(body) }) })).json()) as Record<string, unknown>;
  let item = 0;
  const failures: number[] = [];
  const price = async () => {
    item++;
    const t0 = performance.now();
    const res = await fetch(`${stack.baseUrl}/v1/prices`, { method: "POST", headers: { authorization: `Bearer ${tenant.apiKey}`, "x-customer-token": token, "content-type": "application/json" }, body: JSON.stringify({ items: [{ articleId: String(1_000_001 + (item % N)), quantity: 1 + Math.floor(item / N) }] }) });
    await res.arrayBuffer();
    if (res.status !== 200) {
      failures.push(res.status);
      return Number.NaN;
    }
    return performance.now() - t0;
  };

  const idle: number[] = [];
  for (let i = 0; i < 300; i++) idle.push(await price());

  async function run(mode: "full" | "incremental") {
    const started = performance.now();
    const { runId } = (await admin("/tenants/bench-sync/sync", { mode })) as { runId: string };
    const during: number[] = [];
    let finished = false;
    const prober = (async () => {
      while (!finished) {
      const ms = await price();
      if (!Number.isNaN(ms)) during.push(ms);
    }
    })();
    let run: Record<string, unknown> | undefined;
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      run = ((await admin("/tenants/bench-sync/sync")).runs as Record<string, unknown>[]).find((r) => r.runId === runId);
      if (run?.status === "failed") throw new Error(`sync failed: ${JSON.stringify(run.errors)}`);
      if (run?.status === "succeeded") break;
    }
    finished = true;
    await prober;
    const seconds = (Date.parse(String(run.finishedAt)) - Date.parse(String(run.startedAt))) / 1000;
    return { seconds, wallSeconds: (performance.now() - started) / 1000, rows: Number(run.rowsDone), during: summarize(during) };
  }

  const full = await run("full");
  const fl = await floor(env.pg.url, tenant.erp);
  mutate(tenant.erp, { change: CHANGES, seed: 7 });
  const incremental = await run("incremental");
  const idleS: Summary = summarize(idle);

  console.log(`\nsync: ${N.toLocaleString("en")} articles (${(N * 20).toLocaleString("en")} attributes), system Postgres`);
  console.log(`${"scenario".padEnd(52)} ${"seconds".padStart(9)} ${"rows".padStart(12)} ${"rows/s".padStart(10)} ${"x floor".padStart(8)}`);
  const line = (name: string, s: number, rows: number, ratio?: number) => console.log(`${name.padEnd(52)} ${s.toFixed(1).padStart(9)} ${rows.toLocaleString("en").padStart(12)} ${Math.round(rows / s).toLocaleString("en").padStart(10)} ${(ratio === undefined ? "floor" : ratio.toFixed(2) + "x").padStart(8)}`);
  line(`floor: COPY (${fl.copySeconds.toFixed(1)} s) + same indexes (${fl.indexSeconds.toFixed(1)} s)`, fl.seconds, fl.rows);
  line("full run: simulator -> connector -> edge -> Postgres", full.seconds, full.rows, full.seconds / fl.seconds);
  line(`incremental: ${CHANGES.toLocaleString("en")} changed articles`, incremental.seconds, incremental.rows);
  console.log(`\nlive price while idle:      p50 ${idleS.p50.toFixed(1)} ms  p95 ${idleS.p95.toFixed(1)} ms  p99 ${idleS.p99.toFixed(1)} ms`);
  console.log(`live price during full run: p50 ${full.during.p50.toFixed(1)} ms  p95 ${full.during.p95.toFixed(1)} ms  p99 ${full.during.p99.toFixed(1)} ms  (p99 ratio ${(full.during.p99 / idleS.p99).toFixed(2)}x, goal < 2x)`);
  console.log(`live price failures during the runs: ${failures.length}${failures.length ? ` (${[...new Set(failures)].join(", ")})` : ""}`);
  console.log(JSON.stringify({ bench: "sync", liveFailures: failures.length, articles: N, floor: fl, full, incremental, idle: idleS, ratios: { fullVsFloor: full.seconds / fl.seconds, liveP99DuringVsIdle: full.during.p99 / idleS.p99 } }));
  await tenant.connector.stop();
} finally {
  await env.stop();
}
