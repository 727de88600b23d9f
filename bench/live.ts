// `npm run bench -- live [--iterations 500] [--articles 100000] [--erp-call-ms 5]`
// In one run: a direct simulator call vs the same through Worker -> DO -> tunnel -> connector;
// bulk 100 prices; throughput of 100 concurrent callers with and without coalescing; and
// article details + live price. Every live request asks for items not in the cache.
import { parseArgs } from "node:util";
import pg from "pg";
import { EnventaSession } from "../connector-host/simulator/session.ts";
import { benchStack, benchTenant } from "./lib/live-stack.ts";
import { measure, printTable, type Summary, summarize } from "./lib/stats.ts";

const { values } = parseArgs({ options: { iterations: { type: "string", default: "500" }, articles: { type: "string", default: "100000" }, "erp-call-ms": { type: "string", default: "20" }, concurrency: { type: "string", default: "100" }, requests: { type: "string", default: "2000" } } });
const ITER = Number(values.iterations);
const N = Number(values.articles);
const ERP_MS = Number(values["erp-call-ms"]);
const CONC = Number(values.concurrency);
const REQS = Number(values.requests);

const env = await benchStack("live");
try {
  const { stack } = env;
  const tenant = await benchTenant(stack, env.dir, "bench-live", { cache: { pricesTtlSeconds: 300 }, rateLimit: { requestsPerMinute: 10_000_000 } }, N);
  const plain = await benchTenant(stack, env.dir, "bench-nocoalesce", { live: { coalesce: false }, rateLimit: { requestsPerMinute: 10_000_000 } }, N);
  const token = await tenant.customerToken("K10001");
  const plainToken = await plain.customerToken("K10001");
  let counter = 0;
  const nextItem = () => {
    counter++;
    return { articleId: String(1_000_001 + (counter % N)), quantity: 1 + Math.floor(counter / N) + (counter % 7) };
  };
  const post = async (path: string, body: unknown, t: { apiKey: string }, customer: string) => {
    const res = await fetch(`${stack.baseUrl}${path}`, { method: "POST", headers: { authorization: `Bearer ${t.apiKey}`, "x-customer-token": customer, "content-type": "application/json" }, body: JSON.stringify(body) });
    const json = (await res.json()) as { items?: { status: string }[] };
    if (res.status !== 200 || json.items?.some((i) => i.status !== "ok")) throw new Error(`${path}: ${res.status} ${JSON.stringify(json).slice(0, 200)}`);
    return json;
  };

  // 1. One price: direct simulator session vs through the edge (no ERP latency injected).
  const session = new EnventaSession(tenant.erp);
  await session.login({ businessUnit: "default" });
  const r: Record<string, Summary> = {};
  r.httpFloor = await measure(ITER, 50, async () => void (await (await fetch(`${stack.baseUrl}/v1/health`)).text()));
  r.direct = await measure(ITER, 50, async () => void (await session.prices("K10001", [nextItem()])));
  r.edge = await measure(ITER, 50, async () => void (await post("/v1/prices", { items: [nextItem()] }, tenant, token)));
  r.bulk100 = await measure(Math.max(50, ITER / 5), 10, async () => void (await post("/v1/prices", { items: Array.from({ length: 100 }, nextItem) }, tenant, token)));
  r.directBulk100 = await measure(Math.max(50, ITER / 5), 10, async () => void (await session.prices("K10001", Array.from({ length: 100 }, nextItem))));

  // 2. Article details (Postgres) + live price and stock.
  const db = new pg.Client({ connectionString: env.pg.url });
  await db.connect();
  await db.query(
    `INSERT INTO articles (tenant_id, article_id, rowversion, article_number, name, attributes)
     SELECT 'bench-live', (1000000 + i)::text, i, 'SW-' || i, 'Sechskantschraube ' || i, '{"Material":"A2"}'::jsonb FROM generate_series(1, 5000) i`,
  );
  await db.end();
  r.details = await measure(ITER, 50, async (i) => {
    const item = nextItem();
    const res = await fetch(`${stack.baseUrl}/v1/catalog/articles/${1_000_001 + (i % 5000)}?include=price,stock&quantity=${item.quantity}`, { headers: { authorization: `Bearer ${tenant.apiKey}`, "x-customer-token": token } });
    if (res.status !== 200) throw new Error(`details ${res.status}`);
    await res.arrayBuffer();
  });

  // 3. Throughput: CONC concurrent callers, one price each request, with ERP work per call.
  tenant.erp.setFaults({ perCallMs: ERP_MS });
  plain.erp.setFaults({ perCallMs: ERP_MS });
  async function throughput(t: { apiKey: string }, customer: string) {
    let next = 0;
    const lat: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONC }, async () => {
        while (next < REQS) {
          next++;
          const t0 = performance.now();
          await post("/v1/prices", { items: [nextItem()] }, t, customer);
          lat.push(performance.now() - t0);
        }
      }),
    );
    return { rps: REQS / ((performance.now() - started) / 1000), latency: summarize(lat) };
  }
  const callsBefore = tenant.connector.provider.metrics().calls!;
  const coalesced = await throughput(tenant, token);
  const coalescedCalls = tenant.connector.provider.metrics().calls! - callsBefore;
  const plainBefore = plain.connector.provider.metrics().calls!;
  const uncoalesced = await throughput(plain, plainToken);
  const plainCalls = plain.connector.provider.metrics().calls! - plainBefore;

  printTable("live: one customer price (no ERP latency injected), sequential", [
    { name: "direct simulator session call (floor)", s: r.direct! },
    { name: "wrangler dev HTTP floor: GET /v1/health", s: r.httpFloor!, floor: r.direct! },
    { name: "Worker -> DO -> tunnel -> connector", s: r.edge!, floor: r.direct! },
    { name: "100 prices: direct session (floor)", s: r.directBulk100! },
    { name: "100 prices: through the edge", s: r.bulk100!, floor: r.directBulk100! },
    { name: "article details (Postgres) + price + stock", s: r.details!, floor: r.direct! },
  ]);
  console.log(`\noverhead over the raw call: p50 ${(r.edge!.p50 - r.direct!.p50).toFixed(2)} ms (goal < 2), p99 ${(r.edge!.p99 - r.direct!.p99).toFixed(2)} ms (goal < 10); bulk 100 p50 ${r.bulk100!.p50.toFixed(1)} ms (goal < 50)`);
  console.log(`of which wrangler dev's local HTTP path (not present in production): p50 ${r.httpFloor!.p50.toFixed(2)} ms; edge code + DO + tunnel + connector: p50 ${(r.edge!.p50 - r.httpFloor!.p50 - r.direct!.p50).toFixed(2)} ms, p99 ${(r.edge!.p99 - r.httpFloor!.p99).toFixed(2)} ms`);
  console.log(`\nthroughput, ${CONC} concurrent callers, ${REQS} requests, ERP ${ERP_MS} ms per call:`);
  console.log(`  with coalescing    ${coalesced.rps.toFixed(0).padStart(7)} req/s  p50 ${coalesced.latency.p50.toFixed(1)} ms  p95 ${coalesced.latency.p95.toFixed(1)} ms  ERP calls ${coalescedCalls}`);
  console.log(`  without coalescing ${uncoalesced.rps.toFixed(0).padStart(7)} req/s  p50 ${uncoalesced.latency.p50.toFixed(1)} ms  p95 ${uncoalesced.latency.p95.toFixed(1)} ms  ERP calls ${plainCalls}`);
  console.log(`  ratio ${(coalesced.rps / uncoalesced.rps).toFixed(1)}x (goal >= 10x)`);
  console.log(
    JSON.stringify({
      bench: "live", articles: N, results: r,
      overhead: { p50Ms: r.edge!.p50 - r.direct!.p50, p95Ms: r.edge!.p95 - r.direct!.p95, p99Ms: r.edge!.p99 - r.direct!.p99, netOfHttpFloorP50Ms: r.edge!.p50 - r.httpFloor!.p50 - r.direct!.p50 },
      throughput: { concurrency: CONC, requests: REQS, erpCallMs: ERP_MS, coalesced: { ...coalesced, erpCalls: coalescedCalls }, uncoalesced: { ...uncoalesced, erpCalls: plainCalls }, ratio: coalesced.rps / uncoalesced.rps },
    }),
  );
  await tenant.connector.stop();
  await plain.connector.stop();
} finally {
  await env.stop();
}
