// `npm run bench -- sync [--articles 1500000] [--changes 10000] [--batch 2000] [--via direct|dev] [--ingest process|same] [--profile 15] [--remote-nice] [--live-rate 100]`
// Full sync of the simulated catalog through the real path (simulator -> connector -> tunnel ->
// TenantSession -> Postgres) against the raw floor in the same run (COPY of the same rows into
// tables of the same shape, then building the same indexes); an incremental run of changed
// articles; and live price latency while the full run is going vs idle. As in production, the
// connector runs in its own process (on premises) and so does the ws->TCP proxy (Neon's part):
// the bench process only drives and probes. `--via direct` (default) runs the deployable Worker
// bundle straight in workerd; `--via dev` under `wrangler dev`. CPU per process and the duration
// of each sync stage are reported for the full run; `--profile <s>` adds a CPU profile of the
// Worker isolate (where its thread spends the time, and how long it stays busy at a stretch).
// Live prices go at `--live-rate` per second on a fixed schedule (0: a closed loop).
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { mutate } from "../connector-host/simulator/mutate.ts";
import { type BenchEdge, EDGE_LABELS, EDGE_VIAS, type EdgeVia, benchEdge } from "./lib/bench-edge.ts";
import { databaseBusy } from "./lib/bench-postgres.ts";
import { type ConnectorProcess, startConnectorProcess } from "./lib/connector-process.ts";
import { printProfile, profileIsolate } from "./lib/isolate-profile.ts";
import { type Lowered, lowestPriority } from "./lib/priority.ts";
import { pressureBetween, readPressure } from "./lib/pressure.ts";
import { benchAdmin, type ProvisionedTenant, provisionBenchTenant } from "./lib/live-stack.ts";
import { type Classifier, type CpuUse, cpuBetween, sampleCpu } from "./lib/proc-cpu.ts";
import { type Summary, summarize } from "./lib/stats.ts";
import type { FloorResult } from "./lib/sync-floor.ts";
import { tsProcess } from "./lib/ts-process.ts";
import { type StageDone, stageCollector } from "./lib/sync-stages.ts";

const { values } = parseArgs({
  options: {
    articles: { type: "string", default: "1500000" }, changes: { type: "string", default: "10000" }, batch: { type: "string", default: "1000" }, via: { type: "string", default: "direct" },
    profile: { type: "string", default: "0" }, ingest: { type: "string", default: "process" }, "remote-nice": { type: "boolean", default: false }, "live-rate": { type: "string", default: "100" },
  },
});
const N = Number(values.articles);
const CHANGES = Number(values.changes);
if (!EDGE_VIAS.includes(values.via as EdgeVia)) {
  console.error(`--via must be one of ${EDGE_VIAS.join(", ")} (got ${values.via})`);
  process.exit(2);
}
const VIA = values.via as EdgeVia;
// Where the connector posts sync batches: a second workerd process (as on Cloudflare, where the
// ingest route never runs on the Durable Object's thread) or the one the Durable Object runs in.
const INGEST = values.ingest;
if (INGEST !== "process" && INGEST !== "same") {
  console.error(`--ingest must be process or same (got ${INGEST})`);
  process.exit(2);
}
// Live prices per second sent while idle and during the runs, on a fixed schedule (a storefront's
// traffic does not grow because answers got faster); 0: one after another as fast as they come
// back (a closed loop, which on 2 cores takes as much CPU from the sync as the answers allow).
const LIVE_RATE = Number(values["live-rate"]);
if (!Number.isFinite(LIVE_RATE) || LIVE_RATE < 0) {
  console.error(`--live-rate must be a number of calls per second, 0 for a closed loop (got ${values["live-rate"]})`);
  process.exit(2);
}
/** Idle samples: enough that the idle p99 is not one or two outliers (300 gave 4.4 to 8.2 ms). */
const IDLE_SAMPLES = 3000;
/**
 * Live calls sent, and not counted, before the idle samples: the first calls of a run meet cold
 * code (V8 still compiling the Worker, the DO and the connector) and cold caches, so an idle p99
 * taken from them is the start-up's, not the idle machine's, and flatters the during/idle ratio.
 */
const WARMUP_CALLS = 1000;
const TENANT = "bench-sync";

interface RunResult {
  runId: string;
  seconds: number;
  wallSeconds: number;
  rows: number;
  during: Summary;
  /** How late the prober started its calls during the run (ms; its own event loop). */
  late: Summary;
  cpu: CpuUse;
  stages: StageDone[];
}

/** The floor, in a process of its own (see sync-floor-main.ts). */
async function floor(url: string, erpPath: string): Promise<FloorResult> {
  const out = await tsProcess("bench/lib/sync-floor-main.ts", { args: [url, erpPath] }).done;
  return JSON.parse(out.trim().split("\n").at(-1)!) as FloorResult;
}

/** Each process of the run by component; anything else on the machine is not counted. */
function classifier(edge: BenchEdge, connector: ConnectorProcess): Classifier {
  return (p) => {
    if (p.pid === connector.pid) return "connector";
    if (p.pid === edge.pids.postmaster) return "postgres";
    if (p.pid === edge.pids.wsProxy) return "ws proxy";
    if (edge.ingest?.pids.includes(p.pid)) return "workerd ingest";
    if (p.comm === "workerd") return "workerd";
    if (p.cmdline.includes("wrangler")) return "wrangler (node)";
    if (p.pid === process.pid) return "bench process";
    return undefined;
  };
}

const stages = stageCollector();
// --profile <s>: a CPU profile of the Worker's isolate for <s> seconds, 5 s into the full run.
const PROFILE_SECONDS = Number(values.profile);
const edge = await benchEdge(`sync-${VIA}`, VIA, stages.onLine, { inspect: PROFILE_SECONDS > 0, ingest: INGEST === "process" });
let connector: ConnectorProcess | undefined;
let tenant: ProvisionedTenant | undefined;
let lowered: Lowered | undefined;
try {
  const { stack } = edge;
  // --remote-nice: what runs on other hosts in production (Postgres and Neon's proxy, the ingest Worker) at the
  // least CPU weight, every process it forks later too, so it cannot take one of this machine's two cores from a live call.
  const REMOTE_NICE = values["remote-nice"] === true;
  if (REMOTE_NICE) lowered = lowestPriority([edge.pids.postmaster, edge.pids.wsProxy, ...(edge.ingest?.pids ?? [])]);
  tenant = await provisionBenchTenant(stack, edge.dir, TENANT, { erpProvider: { syncBatchSize: Number(values.batch) }, cache: { pricesTtlSeconds: 30 }, rateLimit: { requestsPerMinute: 10_000_000 } }, N);
  connector = await startConnectorProcess(stack, TENANT, "bench-1", tenant.erpPath, edge.ingest?.baseUrl);
  const { apiKey, erp } = tenant;
  const token = await tenant.customerToken("K10001");
  const classify = classifier(edge, connector);
  const roots = [process.pid, edge.pids.postmaster];
  let item = 0;
  const failures: number[] = [];
  /** One live price call; its latency (ms) counts from `due`, when it was meant to start. */
  const price = async (due = performance.now()) => {
    item++;
    const res = await fetch(`${stack.baseUrl}/v1/prices`, { method: "POST", headers: { authorization: `Bearer ${apiKey}`, "x-customer-token": token, "content-type": "application/json" }, body: JSON.stringify({ items: [{ articleId: String(1_000_001 + (item % N)), quantity: 1 + Math.floor(item / N) }] }) });
    await res.arrayBuffer();
    if (res.status !== 200) {
      failures.push(res.status);
      return Number.NaN;
    }
    return performance.now() - due;
  };

  /**
   * Live prices until stopped (or `max` of them); resolves to their latencies (ms). At LIVE_RATE
   * they start on a fixed schedule whatever the answers do (an open loop: a late call is timed
   * from when it was due, so a stall counts for every call it held up); at 0 one after another.
   */
  function probeLive(max = Number.POSITIVE_INFINITY): { stop(): Promise<number[]>; done: Promise<void>; lateMs: number[] } {
    const out: number[] = [];
    // How late this process started each call (its own event loop, not the system under test).
    const lateMs: number[] = [];
    const inFlight = new Set<Promise<void>>();
    let stopped = false;
    const record = (ms: number) => void (Number.isNaN(ms) || out.push(ms));
    const loop = (async () => {
      const t0 = performance.now();
      for (let i = 0; !stopped && i < max; i++) {
        if (LIVE_RATE === 0) {
          record(await price());
          continue;
        }
        const due = t0 + (i * 1000) / LIVE_RATE;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        lateMs.push(performance.now() - due);
        const call = price(due).then(record);
        inFlight.add(call);
        void call.finally(() => inFlight.delete(call));
      }
      await Promise.all(inFlight);
    })();
    return {
      done: loop,
      lateMs,
      async stop() {
        stopped = true;
        await loop;
        return out;
      },
    };
  }

  let mark = { at: performance.now(), pressure: readPressure() };
  /** Pressure stalls since the last call (or the start), as % of the wall time. */
  const stalls = () => {
    const now = { at: performance.now(), pressure: readPressure() };
    const out = pressureBetween(mark.pressure, now.pressure, (now.at - mark.at) / 1000);
    mark = now;
    return out;
  };
  const warmup = probeLive(WARMUP_CALLS);
  await warmup.done;
  const warmS = summarize(await warmup.stop());
  const idleProbe = probeLive(IDLE_SAMPLES);
  await idleProbe.done;
  const idle = await idleProbe.stop();
  const idleStalls = stalls();

  /** The isolate's profile during a full run, printed with the other results' lines. */
  async function profileFullRun(port: number): Promise<void> {
    await new Promise((r) => setTimeout(r, 5_000));
    const file = join(edge.dir, "full-run.cpuprofile");
    try {
      printProfile(await profileIsolate(port, PROFILE_SECONDS, file), file);
    } catch (err) {
      console.log(`isolate profile failed: ${String(err)}`);
    }
  }

  /** One sync run, measured from its own start and finish times; `probe`: live prices meanwhile. */
  async function run(mode: "full" | "incremental", probe = true): Promise<RunResult> {
    const started = performance.now();
    const { runId } = (await benchAdmin(stack, `/tenants/${TENANT}/sync`, { mode })) as { runId: string };
    const cpuBefore = sampleCpu(classify, roots);
    const profiled = mode === "full" && PROFILE_SECONDS > 0 && edge.inspectorPort !== undefined ? profileFullRun(edge.inspectorPort) : undefined;
    const prober = probe ? probeLive() : undefined;
    let r: Record<string, unknown> | undefined;
    for (;;) {
      await new Promise((res) => setTimeout(res, 500));
      r = ((await benchAdmin(stack, `/tenants/${TENANT}/sync`)).runs as Record<string, unknown>[]).find((x) => x.runId === runId);
      if (r?.status === "failed") throw new Error(`sync failed: ${JSON.stringify(r.errors)}`);
      if (r?.status === "succeeded") break;
    }
    const cpu = cpuBetween(cpuBefore, sampleCpu(classify, roots));
    const during = (await prober?.stop()) ?? [];
    await profiled;
    // The last stage line may still be on its way through the Worker's log pipe.
    for (let i = 0; i < 20 && !stages.forRun(runId).some((s) => s.entity === "categories"); i++) await new Promise((res) => setTimeout(res, 100));
    const seconds = (Date.parse(String(r.finishedAt)) - Date.parse(String(r.startedAt))) / 1000;
    return { runId, seconds, wallSeconds: (performance.now() - started) / 1000, rows: Number(r.rowsDone), during: summarize(during), late: summarize(prober?.lateMs ?? []), cpu, stages: stages.forRun(runId) };
  }

  /**
   * Waits (at most 10 min) until the database has nothing else to do before an incremental run:
   * the search summaries carried over after the previous commit (up to 120 s of queries), and the
   * autovacuum that follows loading 1.5M rows. A storefront's incremental runs every few minutes
   * on a settled catalog; measured right after the load they timed these instead.
   */
  async function settle(commits: number): Promise<{ seconds: number }> {
    const started = performance.now();
    const c = new pg.Client({ connectionString: edge.pg.url });
    await c.connect();
    try {
      for (let i = 0; i < 1200; i++) {
        if (stages.warmups.length >= commits && !(await databaseBusy(c, { autovacuum: true }))) break;
        await new Promise((res) => setTimeout(res, 500));
      }
    } finally {
      await c.end();
    }
    return { seconds: (performance.now() - started) / 1000 };
  }

  stalls();
  const full = await run("full");
  const fullStalls = stalls();
  // The floor gets the same quiet database as the runs (the full run's search warm-up is done).
  const waited = [await settle(1)];
  // Live prices beside the floor too: what a loaded database and machine alone cost them, with
  // the Worker's thread free of sync work (the least a sync through that thread can cost).
  stalls();
  const floorProbe = probeLive();
  const fl = await floor(edge.pg.url, tenant.erpPath);
  const duringFloor = summarize(await floorProbe.stop());
  const lateFloor = summarize(floorProbe.lateMs);
  const floorStalls = stalls();
  // Written by this process, read by the connector's: it sees the change through data_version.
  mutate(erp, { change: CHANGES, seed: 7 });
  waited.push(await settle(1));
  const incremental = await run("incremental");
  // The same size of change once more with no live traffic beside it: what the run itself costs
  // (on 2 cores the price prober and its Worker take about half a core from Postgres).
  mutate(erp, { change: CHANGES, seed: 8 });
  waited.push(await settle(2));
  const quietIncremental = await run("incremental", false);
  const idleS: Summary = summarize(idle);
  const lateIdle = summarize(idleProbe.lateMs);

  console.log(`\nsync: ${N.toLocaleString("en")} articles (${(N * 20).toLocaleString("en")} attributes), system Postgres, edge: ${EDGE_LABELS[VIA]}, connector and ws proxy in their own processes; sync batches posted to ${INGEST === "process" ? "the Worker in a second workerd process" : "the Durable Object's workerd process"}${lowered ? `; Postgres (every backend), ws proxy and the ingest Worker at the least CPU weight (${lowered.how === "nice" ? "nice 19: backends born later escape it" : `a ${lowered.how} of their own`}; as on hosts of their own)` : ""}`);
  console.log(`${"scenario".padEnd(52)} ${"seconds".padStart(9)} ${"rows".padStart(12)} ${"rows/s".padStart(10)} ${"x floor".padStart(8)}`);
  const line = (name: string, s: number, rows: number, ratio?: number | "floor") => console.log(`${name.padEnd(52)} ${s.toFixed(1).padStart(9)} ${rows.toLocaleString("en").padStart(12)} ${Math.round(rows / s).toLocaleString("en").padStart(10)} ${(ratio === undefined ? "-" : ratio === "floor" ? ratio : ratio.toFixed(2) + "x").padStart(8)}`);
  line(`floor: COPY (${fl.copySeconds.toFixed(1)} s) + same indexes (${fl.indexSeconds.toFixed(1)} s)`, fl.seconds, fl.rows, "floor");
  line("full run: simulator -> connector -> edge -> Postgres", full.seconds, full.rows, full.seconds / fl.seconds);
  line(`incremental: ${CHANGES.toLocaleString("en")} changed, live prices beside`, incremental.seconds, incremental.rows);
  line(`incremental: ${CHANGES.toLocaleString("en")} changed, nothing beside`, quietIncremental.seconds, quietIncremental.rows);

  console.log(`\nstages (from the Worker's "sync stage done" lines)`);
  console.log(`${"stage".padEnd(18)} ${"full rows".padStart(10)} ${"full s".padStart(8)} ${"rows/s".padStart(9)} ${"incr rows".padStart(10)} ${"incr s".padStart(8)} ${"quiet s".padStart(8)}`);
  const entities = [...new Set([...full.stages, ...incremental.stages].map((s) => s.entity))];
  for (const entity of entities) {
    const f = full.stages.find((s) => s.entity === entity);
    const i = incremental.stages.find((s) => s.entity === entity);
    const q = quietIncremental.stages.find((s) => s.entity === entity);
    const cell = (s: StageDone | undefined, w: number, v: (s: StageDone) => string) => (s ? v(s) : "-").padStart(w);
    console.log(`${entity.padEnd(18)} ${cell(f, 10, (s) => s.rows.toLocaleString("en"))} ${cell(f, 8, (s) => (s.ms / 1000).toFixed(1))} ${cell(f, 9, (s) => Math.round(s.rows / Math.max(s.ms / 1000, 0.001)).toLocaleString("en"))} ${cell(i, 10, (s) => s.rows.toLocaleString("en"))} ${cell(i, 8, (s) => (s.ms / 1000).toFixed(1))} ${cell(q, 8, (s) => (s.ms / 1000).toFixed(1))}`);
  }
  const warm = stages.warmups.map((w) => `${(w.ms / 1000).toFixed(1)} s (${w.rolled} rolled forward, ${w.rebuilt} computed again)`).join(", ");
  console.log(`
search summaries carried over after each commit: ${warm || "-"}; waited for a quiet database (warm-up, autovacuum) before the floor and each incremental: ${waited.map((w) => `${w.seconds.toFixed(0)} s`).join(", ")}`);
  if (!entities.length) console.log("  (no stage lines seen from the Worker)");

  const c = full.cpu;
  const ours = Object.values(c.percent).reduce((a, b) => a + b, 0);
  const order = ["postgres", "workerd", "workerd ingest", "connector", "ws proxy", "bench process", "wrangler (node)"];
  // Busiest thread only where one thread can be the limit (an event loop, the DO's isolate);
  // Postgres works in a process per connection, some born during the run (not measured then).
  const busiest = (k: string) => (k === "postgres" ? "" : ` (busiest thread ${(c.busiestThread[k] ?? 0).toFixed(0)}%)`);
  const parts = order.filter((k) => k in c.percent).map((k) => `${k} ${c.percent[k]!.toFixed(0)}%${busiest(k)}`);
  console.log(`\ncpu during the full run, % of one core: ${parts.join(", ")}`);
  console.log(`  total of these ${ours.toFixed(0)}% = ${(ours / c.cores).toFixed(0)}% of the ${c.cores} cores; whole machine ${c.machinePercent.toFixed(0)}% (other processes ${Math.max(0, c.machinePercent - ours / c.cores).toFixed(0)}%)`);

  console.log(`\nlive prices ${LIVE_RATE > 0 ? `at ${LIVE_RATE}/s on a fixed schedule (latency from each call's due time)` : "one after another (closed loop)"}`);
  console.log(`live price warming up:      p50 ${warmS.p50.toFixed(1)} ms  p95 ${warmS.p95.toFixed(1)} ms  p99 ${warmS.p99.toFixed(1)} ms  (the first ${WARMUP_CALLS} calls, not counted)`);
  console.log(`live price while idle:      p50 ${idleS.p50.toFixed(1)} ms  p95 ${idleS.p95.toFixed(1)} ms  p99 ${idleS.p99.toFixed(1)} ms`);
  console.log(`live price during full run: p50 ${full.during.p50.toFixed(1)} ms  p95 ${full.during.p95.toFixed(1)} ms  p99 ${full.during.p99.toFixed(1)} ms  (n ${full.during.n}; p99 ratio ${(full.during.p99 / idleS.p99).toFixed(2)}x, goal < 2x)`);
  console.log(`live price during the floor:  p50 ${duringFloor.p50.toFixed(1)} ms  p95 ${duringFloor.p95.toFixed(1)} ms  p99 ${duringFloor.p99.toFixed(1)} ms  (n ${duringFloor.n}; p99 ratio ${(duringFloor.p99 / idleS.p99).toFixed(2)}x: Postgres loading, Worker thread free)`);
  if (LIVE_RATE > 0) console.log(`calls started late by the prober itself, p99: idle ${lateIdle.p99.toFixed(1)} ms, full run ${full.late.p99.toFixed(1)} ms, floor ${lateFloor.p99.toFixed(1)} ms (included in the latencies above)`);
  const psi = (p: Record<string, number>) => `cpu ${p.cpu!.toFixed(0)}%, io ${p.io!.toFixed(0)}%, memory ${p.memory!.toFixed(0)}%`;
  console.log(`pressure stalls (/proc/pressure, share of wall time some task waited): idle ${psi(idleStalls)}; full run ${psi(fullStalls)}; floor ${psi(floorStalls)}`);
  console.log(`live price failures during the runs: ${failures.length}${failures.length ? ` (${[...new Set(failures)].join(", ")})` : ""}`);
  const cpuJson = { percent: c.percent, busiestThread: c.busiestThread, totalPercentOfCores: ours / c.cores, machinePercent: c.machinePercent, cores: c.cores };
  const runJson = ({ cpu: _cpu, ...r }: RunResult) => r;
  console.log(
    JSON.stringify({
      bench: "sync", via: VIA, ingest: INGEST, remoteNice: REMOTE_NICE, lowered: lowered?.how, liveRate: LIVE_RATE, edge: EDGE_LABELS[VIA], liveFailures: failures.length, articles: N, floor: fl, duringFloor, full: runJson(full), incremental: runJson(incremental), quietIncremental: runJson(quietIncremental), warmup: warmS, idle: idleS, late: { idle: lateIdle, full: full.late, floor: lateFloor }, pressure: { idle: idleStalls, full: fullStalls, floor: floorStalls },
      searchWarmupsMs: stages.warmups.map((w) => w.ms), searchWarmups: stages.warmups, settleSeconds: waited.map((w) => w.seconds), cpuDuringFull: cpuJson, ratios: { fullVsFloor: full.seconds / fl.seconds, liveP99DuringVsIdle: full.during.p99 / idleS.p99, liveP99FloorVsIdle: duringFloor.p99 / idleS.p99 },
    }),
  );
} finally {
  await connector?.stop();
  tenant?.erp.close();
  await edge.stop();
  lowered?.release();
}
