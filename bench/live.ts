// `npm run bench -- live [--iterations 500] [--articles 100000] [--erp-call-ms 20] [--quick]`
// In one run: a direct simulator call vs the same through Worker -> DO -> tunnel -> connector,
// in two modes side by side: under `wrangler dev` (its proxy Worker and Node HTTP hop in front of
// workerd, which production does not have) and the same deployable bundle run straight in workerd
// (Miniflare, direct socket). Per mode: the HTTP floor (GET /v1/health), one price, bulk 100
// prices, article details + live price, and the throughput of 100 concurrent callers with and
// without coalescing (`--quick` measures only the first three). Every live request asks for
// items not in the cache.
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { EnventaSession } from "../connector-host/simulator/session.ts";
import { ErpDatabase } from "../connector-host/simulator/store.ts";
import { DEV_KEYS_DIR, loadSigningKey, trustedKeysOf } from "../scripts/release/keys.ts";
import type { Stack } from "../scripts/local/stack.ts";
import { startDirectWorker } from "./lib/direct-worker.ts";
import { type BenchTenant, benchStack, benchTenant } from "./lib/live-stack.ts";
import { closedLoop, measure, printTable, type Summary } from "./lib/stats.ts";

const { values } = parseArgs({
  options: {
    iterations: { type: "string", default: "500" }, articles: { type: "string", default: "100000" }, "erp-call-ms": { type: "string", default: "20" },
    concurrency: { type: "string", default: "100" }, requests: { type: "string", default: "2000" }, quick: { type: "boolean", default: false },
  },
});
const ITER = Number(values.iterations);
const N = Number(values.articles);
const ERP_MS = Number(values["erp-call-ms"]);
const CONC = Number(values.concurrency);
const REQS = Number(values.requests);
const QUICK = values.quick;
const root = resolve(import.meta.dirname, "..");

interface Mode {
  key: "dev" | "direct";
  label: string;
  stack: Stack;
}
interface Throughput {
  rps: number;
  latency: Summary;
  erpCalls: number;
}
interface ModeResult {
  httpFloor: Summary;
  /** Postgres sessions that ended during the single-price loop (a live price needs none). */
  pgSessionsDuringEdge: number;
  edge: Summary;
  bulk100: Summary;
  details?: Summary;
  coalesced?: Throughput;
  uncoalesced?: Throughput;
}

let counter = 0;
const nextItem = () => {
  counter++;
  return { articleId: String(1_000_001 + (counter % N)), quantity: 1 + Math.floor(counter / N) + (counter % 7) };
};

async function post(stack: Stack, path: string, body: unknown, t: { apiKey: string }, customer: string) {
  const res = await fetch(`${stack.baseUrl}${path}`, { method: "POST", headers: { authorization: `Bearer ${t.apiKey}`, "x-customer-token": customer, "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = (await res.json()) as { items?: { status: string }[] };
  if (res.status !== 200 || json.items?.some((i) => i.status !== "ok")) throw new Error(`${path}: ${res.status} ${JSON.stringify(json).slice(0, 200)}`);
  return json;
}

/** CONC concurrent callers, one price per request, with ERP work per call. */
async function throughput(stack: Stack, t: BenchTenant, customer: string): Promise<Throughput> {
  t.erp.setFaults({ perCallMs: ERP_MS });
  // One request first: the key cache of an isolate that has not seen this key for 10 s is cold,
  // and a cold burst of CONC callers would each look the key up (CONC Postgres connections).
  await post(stack, "/v1/prices", { items: [nextItem()] }, t, customer);
  const before = t.connector.provider.metrics().calls!;
  const run = await closedLoop(REQS, CONC, async () => void (await post(stack, "/v1/prices", { items: [nextItem()] }, t, customer)));
  return { rps: REQS / run.seconds, latency: run.latency, erpCalls: t.connector.provider.metrics().calls! - before };
}

async function articlesFor(url: string, tenantId: string): Promise<void> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  await db.query(
    `INSERT INTO articles (tenant_id, article_id, rowversion, article_number, name, attributes)
     SELECT $1, (1000000 + i)::text, i, 'SW-' || i, 'Sechskantschraube ' || i, '{"Material":"A2"}'::jsonb FROM generate_series(1, 5000) i`,
    [tenantId],
  );
  await db.end();
}

const env = await benchStack("live");
const stats = new pg.Client({ connectionString: env.pg.url });
await stats.connect();
/** Sessions of this database that have ended so far (Postgres counts them at disconnect). */
async function pgSessions(): Promise<number> {
  await new Promise((r) => setTimeout(r, 1_500));
  await stats.query("SELECT pg_stat_clear_snapshot()");
  const { rows } = await stats.query<{ n: string }>("SELECT sessions::text AS n FROM pg_stat_database WHERE datname = current_database()");
  return Number(rows[0]?.n ?? Number.NaN);
}
const modes: Mode[] = [{ key: "dev", label: "wrangler dev", stack: env.stack }];
try {
  const direct = await startDirectWorker({ root, dir: join(env.dir, "direct"), shared: env.stack, releasePublicKeys: JSON.stringify(trustedKeysOf(loadSigningKey(join(root, DEV_KEYS_DIR)))) });
  modes.push({ key: "direct", label: "workerd direct", stack: direct });

  // The raw floor: one simulator session, no actor, no tunnel.
  const session = new EnventaSession(ErpDatabase.create(join(env.dir, "floor-erp.db"), { articles: N, customers: 1000, loginMs: 100 }));
  await session.login({ businessUnit: "default" });
  const direct1 = await measure(ITER, 50, async () => void (await session.prices("K10001", [nextItem()])));
  const directBulk = await measure(Math.max(50, ITER / 5), 10, async () => void (await session.prices("K10001", Array.from({ length: 100 }, nextItem))));

  const results: Partial<Record<Mode["key"], ModeResult>> = {};
  for (const mode of modes) {
    const { stack } = mode;
    const tenant = await benchTenant(stack, env.dir, `bench-live-${mode.key}`, { cache: { pricesTtlSeconds: 300 }, rateLimit: { requestsPerMinute: 10_000_000 } }, N);
    const token = await tenant.customerToken("K10001");
    const httpFloor = await measure(ITER, 50, async () => void (await (await fetch(`${stack.baseUrl}/v1/health`)).text()));
    // Warm (the API key is cached for 10 s per isolate), then count the sessions the loop opens.
    await post(stack, "/v1/prices", { items: [nextItem()] }, tenant, token);
    const sessionsBefore = await pgSessions();
    const edge = await measure(ITER, 50, async () => void (await post(stack, "/v1/prices", { items: [nextItem()] }, tenant, token)));
    const r: ModeResult = {
      httpFloor, edge, pgSessionsDuringEdge: (await pgSessions()) - sessionsBefore,
      bulk100: await measure(Math.max(50, ITER / 5), 10, async () => void (await post(stack, "/v1/prices", { items: Array.from({ length: 100 }, nextItem) }, tenant, token))),
    };
    if (!QUICK) {
      await articlesFor(env.pg.url, tenant.tenantId);
      r.details = await measure(ITER, 50, async (i) => {
        const item = nextItem();
        const res = await fetch(`${stack.baseUrl}/v1/catalog/articles/${1_000_001 + (i % 5000)}?include=price,stock&quantity=${item.quantity}`, { headers: { authorization: `Bearer ${tenant.apiKey}`, "x-customer-token": token } });
        if (res.status !== 200) throw new Error(`details ${res.status}`);
        await res.arrayBuffer();
      });
      const plain = await benchTenant(stack, env.dir, `bench-nocoalesce-${mode.key}`, { live: { coalesce: false }, rateLimit: { requestsPerMinute: 10_000_000 } }, N);
      r.coalesced = await throughput(stack, tenant, token);
      r.uncoalesced = await throughput(stack, plain, await plain.customerToken("K10001"));
      await plain.connector.stop();
    }
    await tenant.connector.stop();
    results[mode.key] = r;
  }

  const rows: { name: string; s: Summary; floor?: Summary }[] = [{ name: "direct simulator session call (floor)", s: direct1 }];
  for (const m of modes) {
    const r = results[m.key]!;
    rows.push({ name: `${m.label}: HTTP floor GET /v1/health`, s: r.httpFloor, floor: direct1 }, { name: `${m.label}: Worker -> DO -> tunnel -> connector`, s: r.edge, floor: direct1 });
    if (r.details) rows.push({ name: `${m.label}: article details (Postgres) + price + stock`, s: r.details, floor: direct1 });
  }
  rows.push({ name: "100 prices: direct session (floor)", s: directBulk });
  for (const m of modes) rows.push({ name: `${m.label}: 100 prices through the edge`, s: results[m.key]!.bulk100, floor: directBulk });
  printTable("live: one customer price (no ERP latency injected), sequential", rows);

  const overhead = (r: ModeResult) => ({
    p50Ms: r.edge.p50 - direct1.p50, p95Ms: r.edge.p95 - direct1.p95, p99Ms: r.edge.p99 - direct1.p99,
    netOfHttpFloorP50Ms: r.edge.p50 - r.httpFloor.p50 - direct1.p50, netOfHttpFloorP99Ms: r.edge.p99 - r.httpFloor.p99 - direct1.p99,
  });
  console.log("\noverhead over the raw call (goal p50 < 2 ms, p99 < 10 ms; bulk 100 p50 < 50 ms):");
  for (const m of modes) {
    const o = overhead(results[m.key]!);
    const r = results[m.key]!;
    console.log(`  ${m.label.padEnd(15)} p50 ${o.p50Ms.toFixed(2)} ms, p95 ${o.p95Ms.toFixed(2)} ms, p99 ${o.p99Ms.toFixed(2)} ms; HTTP floor p50 ${r.httpFloor.p50.toFixed(2)} ms; net of the floor p50 ${o.netOfHttpFloorP50Ms.toFixed(2)} ms, p99 ${o.netOfHttpFloorP99Ms.toFixed(2)} ms; bulk 100 p50 ${r.bulk100.p50.toFixed(1)} ms; Postgres sessions ended during ${ITER + 50} single-price calls (background key checks included): ${r.pgSessionsDuringEdge}`);
  }
  console.log(`  wrangler dev's own proxy + Node hop (dev HTTP floor - direct HTTP floor): p50 ${(results.dev!.httpFloor.p50 - results.direct!.httpFloor.p50).toFixed(2)} ms`);
  if (!QUICK) {
    console.log(`\nthroughput, ${CONC} concurrent callers, ${REQS} requests, ERP ${ERP_MS} ms per call:`);
    for (const m of modes) {
      const r = results[m.key]!;
      for (const [name, t] of [["with coalescing", r.coalesced!], ["without coalescing", r.uncoalesced!]] as const) {
        console.log(`  ${m.label.padEnd(15)} ${name.padEnd(19)} ${t.rps.toFixed(0).padStart(7)} req/s  p50 ${t.latency.p50.toFixed(1)} ms  p95 ${t.latency.p95.toFixed(1)} ms  ERP calls ${t.erpCalls}`);
      }
      console.log(`  ${m.label.padEnd(15)} ratio ${(r.coalesced!.rps / r.uncoalesced!.rps).toFixed(1)}x (goal >= 10x)`);
    }
  }
  console.log(
    JSON.stringify({
      bench: "live", articles: N, iterations: ITER, floor: { direct: direct1, directBulk100: directBulk },
      modes: Object.fromEntries(modes.map((m) => [m.key, { label: m.label, ...results[m.key], overhead: overhead(results[m.key]!), ...(results[m.key]!.coalesced && { throughputRatio: results[m.key]!.coalesced!.rps / results[m.key]!.uncoalesced!.rps }) }])),
      throughputSetup: { concurrency: CONC, requests: REQS, erpCallMs: ERP_MS },
    }),
  );
} finally {
  await stats.end();
  for (const m of modes.slice(1)) await m.stack.stop();
  await env.stop();
}
