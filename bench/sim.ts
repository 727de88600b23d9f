// `npm run bench -- sim [--articles 1500000] [--calls 5000]`
// Full-scale streaming of articles and attributes through the enventa provider (actor + pool),
// against the raw floor (reading the simulator's change cursor directly), the memory peak, and
// the per-call overhead of actor + pool over a direct session call, all in one run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { EnventaProvider } from "../connector-host/providers/enventa/provider.ts";
import { EnventaSession } from "../connector-host/simulator/session.ts";
import { ErpDatabase } from "../connector-host/simulator/store.ts";
import type { SyncEntity } from "../connector-host/simulator/types.ts";
import { measure, printTable } from "./lib/stats.ts";

const { values } = parseArgs({ options: { articles: { type: "string", default: "1500000" }, calls: { type: "string", default: "5000" }, batch: { type: "string", default: "5000" } } });
const N = Number(values.articles);
const CALLS = Number(values.calls);
const BATCH = Number(values.batch);
const dir = mkdtempSync(join(tmpdir(), "b2x-bench-sim-"));
const erp = ErpDatabase.create(join(dir, "erp.db"), { articles: N, loginMs: 0 });

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
const ctx = { tenantId: "bench", businessUnit: "01", requestId: "bench" };
const provider = new EnventaProvider(erp, { businessUnits: ["01"], sessionsPerUnit: 1, queueCapacity: 1000, keepAliveMs: 600_000, idleReleaseMs: 3_600_000, user: "bench" });
await provider.warmUp();

const countItems = (batch: { row: unknown; deleted: boolean }[], entity: SyncEntity) =>
  entity === "articles" ? batch.length : batch.reduce((n, c) => n + (c.deleted ? 0 : (c.row as { items: unknown[] }).items.length), 0);

async function viaProvider(entity: SyncEntity) {
  const t = performance.now();
  let sets = 0;
  let items = 0;
  for await (const batch of provider.streamChanges(ctx, entity, 0, BATCH)) {
    sets += batch.length;
    items += countItems(batch as never, entity);
  }
  return { seconds: (performance.now() - t) / 1000, sets, items };
}

function floor(entity: SyncEntity) {
  const t = performance.now();
  let sets = 0;
  let items = 0;
  for (let after = 0; ; ) {
    const batch = erp.changes(entity, after, BATCH);
    if (batch.length === 0) break;
    sets += batch.length;
    items += countItems(batch as never, entity);
    after = batch[batch.length - 1]!.rowversion;
  }
  return { seconds: (performance.now() - t) / 1000, sets, items };
}

const stream: Record<string, { seconds: number; sets: number; items: number }> = {};
for (const entity of ["articles", "attributes"] as const) {
  stream[`${entity}_floor`] = floor(entity);
  stream[`${entity}_provider`] = await viaProvider(entity);
}

const session = new EnventaSession(erp);
await session.login({ businessUnit: "01" });
const id = (i: number) => String(1_000_001 + ((i * 7919) % N));
const direct = await measure(CALLS, 200, async (i) => void (await session.stock([id(i)])));
const actor = await measure(CALLS, 200, async (i) => void (await provider.getStock(ctx, [id(i)])));
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);

console.log(`\nsim: ${N.toLocaleString("en")} articles, batch ${BATCH}, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB (goal < 1024)`);
console.log(`${"stream".padEnd(34)} ${"rows".padStart(12)} ${"seconds".padStart(9)} ${"rows/s".padStart(12)} ${"x floor".padStart(8)}`);
for (const entity of ["articles", "attributes"] as const) {
  const f = stream[`${entity}_floor`]!;
  const p = stream[`${entity}_provider`]!;
  for (const [name, r] of [[`${entity}: direct cursor (floor)`, f], [`${entity}: provider (actor + pool)`, p]] as const) {
    const rate = r.items / r.seconds;
    console.log(`${name.padEnd(34)} ${r.items.toLocaleString("en").padStart(12)} ${r.seconds.toFixed(1).padStart(9)} ${Math.round(rate).toLocaleString("en").padStart(12)} ${(r === f ? "floor" : (f.items / f.seconds / rate).toFixed(2) + "x").padStart(8)}`);
  }
}
printTable("per call: stock of one article", [
  { name: "direct session call (floor)", s: direct },
  { name: "provider: actor + pool", s: actor, floor: direct },
]);
console.log(
  JSON.stringify({
    bench: "sim",
    articles: N,
    peakRssMiB: Math.round(peakRss / 2 ** 20),
    stream,
    perCall: { direct, actor, overheadP50Ms: actor.p50 - direct.p50, ratioP50: actor.p50 / direct.p50 },
  }),
);
await provider.close();
erp.close();
rmSync(dir, { recursive: true, force: true });
