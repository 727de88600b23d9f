// `npm run bench -- roll [--articles 1500000] [--changes 10000]`
// Search summaries across an incremental sync at full scale: the simulator's catalog loaded into
// a system Postgres (COPY), the summaries a sync seeds (common words, category pages) and a few
// broad queries with facets stored at version 1,
// `--changes` articles changed through the real sync writer (an incremental run, with its
// capture of what search saw before), then the summaries carried to version 2 two ways in the
// same run: carried over as the sync does (rolled forward with the run's changes where computing took long enough, computed again otherwise), and computed again
// from scratch (what it did before, and what a first-time query costs). Both must agree exactly.
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Pool } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { validateChunk } from "../durable-objects/sync/rows.ts";
import { WriteBatch } from "../durable-objects/sync/write-batch.ts";
import { SyncWriter } from "../durable-objects/sync/writer.ts";
import { ErpDatabase } from "../connector-host/simulator/store.ts";
import * as schema from "../schema/index.ts";
import type { SyncCursor } from "../schema/sync.ts";
import { migrateDatabase } from "../scripts/migrate-db.ts";
import type { Database } from "../workers/db/client.ts";
import { storeSummary, warmSummaries } from "../workers/search/summaries.ts";
import { freshBenchDir, startBenchPostgres } from "./lib/bench-postgres.ts";
import { catalogIndexes, copyCatalog, copyCategories } from "./lib/copy-catalog.ts";
import { printTable, summarize } from "./lib/stats.ts";

const { values } = parseArgs({ options: { articles: { type: "string", default: "1500000" }, changes: { type: "string", default: "10000" } } });
const N = Number(values.articles);
const CHANGES = Number(values.changes);
const TENANT = "bench-roll";
const BATCH = 1000;

const dir = freshBenchDir("roll");
const postgres = await startBenchPostgres(join(dir, "pg"));
const pool = new pg.Pool({ connectionString: postgres.url, max: 4 });
try {
  await migrateDatabase(postgres.url);
  // node-postgres under drizzle: the same SQL the Worker sends through the Neon driver.
  const db = drizzle(pool, { schema }) as unknown as Database;
  const c = await pool.connect();
  const loadStart = performance.now();
  await c.query(`INSERT INTO tenants (tenant_id, name, catalog_version) VALUES ($1, 'Roll bench', 1)`, [TENANT]);
  const erp = ErpDatabase.create(join(dir, "erp.db"), { articles: N });
  const indexes = await catalogIndexes(c as unknown as pg.Client);
  for (const i of indexes) await c.query(`DROP INDEX ${i.name}`);
  const rows = (await copyCatalog(c as unknown as pg.Client, erp, "public", TENANT)) + (await copyCategories(c as unknown as pg.Client, erp, "public", TENANT));
  for (const i of indexes) await c.query(i.def);
  await c.query("ANALYZE articles");
  await c.query(`INSERT INTO sync_runs (tenant_id, run_id, mode, status, stage, trigger, finished_at) VALUES ($1, 'full', 'full', 'succeeded', 'done', 'admin', now())`, [TENANT]);
  c.release();
  erp.close();
  console.log(`loaded ${rows.toLocaleString("en")} rows (${N.toLocaleString("en")} articles) in ${((performance.now() - loadStart) / 1000).toFixed(0)} s`);

  // Version 1: what the sync seeds (common name words, category pages) plus broad queries with facets.
  const seedStart = performance.now();
  const seeded = await warmSummaries(db, TENANT, { from: 0, to: 1, budgetMs: 3_600_000 });
  const seedSeconds = (performance.now() - seedStart) / 1000;
  const broad: [string, string[], unknown?][] = [
    ["edelstahl", ["brand", "category", "attr:Oberfläche"]],
    ["messing", ["brand", "category"]],
    ["verzinkt", ["brand"]],
    ["schraube", ["brand", "category"]],
    ["", ["brand"], { field: "categoryId", op: "EQ", value: "K1-03-2" }],
    ["stahl", ["brand"], { field: "categoryId", op: "EQ", value: "K1-05-3" }],
  ];
  for (const [q, facets, filter] of broad) await storeSummary(db, TENANT, 1, { q, ...(filter !== undefined && { filter }) }, facets);
  const before = (await pool.query(`SELECT request, facets FROM search_summaries WHERE tenant_id = $1 AND catalog_version = 1`, [TENANT])).rows as { request: schema.SummaryRequest; facets: schema.FacetCounts }[];
  console.log(`version 1: ${before.length} summaries (${seeded.rebuilt} seeded by the sync's warm-up in ${seedSeconds.toFixed(1)} s: common words and category pages)`);

  // An incremental run: about every (N / CHANGES)th article becomes another product (name, brand,
  // categories, attributes of another changed one), written in batches of 1,000.
  const runId = "incremental";
  const stream = { stream: "bench", entity: "articles" as const, seq: -1 };
  await pool.query(`INSERT INTO sync_runs (tenant_id, run_id, mode, status, stage, trigger, cursor) VALUES ($1, $2, 'incremental', 'running', 'articles', 'admin', $3)`, [TENANT, runId, JSON.stringify({ stage: "articles", after: {}, ingest: stream } satisfies SyncCursor)]);
  const writer = new SyncWriter(pool as unknown as Pool, TENANT, runId, "incremental");
  const step = Math.max(1, Math.floor(N / CHANGES));
  const picked = (await pool.query(`SELECT article_id, article_number, name, description, brand, ean, manufacturer_number, category_ids, attributes FROM articles WHERE tenant_id = $1 AND abs(hashtext(article_id)) % $2 = 0 ORDER BY article_id LIMIT $3`, [TENANT, step, CHANGES])).rows as Record<string, unknown>[];
  const writeStart = performance.now();
  let rv = 10_000_000_000;
  for (let b = 0; b * BATCH < picked.length; b++) {
    const changes = picked.slice(b * BATCH, (b + 1) * BATCH).map((a, i) => {
      const other = picked[(b * BATCH + i + 7) % picked.length]!;
      rv++;
      return {
        rowversion: rv, key: a.article_id, deleted: false,
        row: {
          articleId: a.article_id, articleNumber: a.article_number, name: other.name, description: a.description, brand: other.brand, ean: a.ean, manufacturerNumber: a.manufacturer_number,
          categoryIds: other.category_ids, rowversion: rv, changedAt: new Date().toISOString(),
          attributes: Object.entries(other.attributes as Record<string, string>).map(([key, value], position) => ({ key, value: String(value), unit: null, position })),
        },
      };
    });
    const batch = new WriteBatch("articles");
    batch.add(validateChunk("articles", changes));
    const outcome = await writer.writeBatch(batch, "bench", b);
    if (outcome.kind !== "committed") throw new Error(`batch ${b}: ${outcome.kind}`);
  }
  const { catalogVersion } = await writer.finish();
  const writeSeconds = (performance.now() - writeStart) / 1000;
  console.log(`incremental run: ${picked.length.toLocaleString("en")} articles written in ${writeSeconds.toFixed(1)} s (capture of what search saw before included); catalog version ${catalogVersion}`);

  // Carried over as the sync's warm-up does after the commit: rolled forward where computing took
  // long enough (ROLL_MIN_COMPUTED_MS), computed again otherwise (no budget here: every one).
  const rollStart = performance.now();
  const warmed = await warmSummaries(db, TENANT, { from: 1, to: 2, budgetMs: 3_600_000, runId });
  const rollSeconds = (performance.now() - rollStart) / 1000;
  const rolled = (await pool.query(`SELECT query_key, request, total, facets, top FROM search_summaries WHERE tenant_id = $1 AND catalog_version = 2`, [TENANT])).rows as { query_key: string; request: schema.SummaryRequest; total: number; facets: unknown; top: unknown }[];

  // Computed again from scratch, one by one (the floor this replaces), into version 3's key space.
  const again: number[] = [];
  let mismatches = 0;
  for (const s of before) {
    const t = performance.now();
    await storeSummary(db, TENANT, 3, s.request, Object.keys(s.facets));
    again.push(performance.now() - t);
  }
  const fresh = (await pool.query(`SELECT query_key, total, facets, top FROM search_summaries WHERE tenant_id = $1 AND catalog_version = 3`, [TENANT])).rows as { query_key: string; total: number; facets: unknown; top: unknown }[];
  for (const r of rolled) {
    const f = fresh.find((x) => x.query_key === r.query_key);
    const what = !f ? ["missing"] : [f.total !== r.total && `total ${r.total} vs ${f.total}`, JSON.stringify(f.facets) !== JSON.stringify(r.facets) && "facets", JSON.stringify(r.top) !== JSON.stringify((f.top as unknown[]).slice(0, (r.top as unknown[]).length)) && "ranking"].filter(Boolean);
    if (what.length === 0) continue;
    mismatches++;
    console.log(`  differs: ${JSON.stringify(r.request)}: ${what.join(", ")}`);
  }
  const againSeconds = again.reduce((a, b) => a + b, 0) / 1000;
  const perRoll = (rollSeconds * 1000) / Math.max(1, warmed.rolled + warmed.rebuilt);

  console.log(`\nsearch summaries across an incremental sync of ${picked.length.toLocaleString("en")} changed articles, ${N.toLocaleString("en")} articles, system Postgres`);
  console.log(`${"way".padEnd(58)} ${"summaries".padStart(10)} ${"seconds".padStart(9)} ${"ms each".padStart(9)} ${"x floor".padStart(8)}`);
  console.log(`${"floor: computed again from scratch".padEnd(58)} ${String(before.length).padStart(10)} ${againSeconds.toFixed(2).padStart(9)} ${(againSeconds * 1000 / before.length).toFixed(1).padStart(9)} ${"floor".padStart(8)}`);
  console.log(`${`carried over: ${warmed.rolled} rolled forward, ${warmed.rebuilt} computed again`.padEnd(58)} ${String(warmed.rolled + warmed.rebuilt).padStart(10)} ${rollSeconds.toFixed(2).padStart(9)} ${perRoll.toFixed(1).padStart(9)} ${(rollSeconds / againSeconds).toFixed(3).padStart(7)}x`);
  printTable("computing one summary again (ms)", [{ name: "computed again", s: summarize(again) }]);
  console.log(`\ncarried-over summaries that differ from the ones computed again: ${mismatches} of ${rolled.length}`);
  console.log(JSON.stringify({ bench: "roll", articles: N, changes: picked.length, summaries: before.length, rolled: warmed.rolled, rebuilt: warmed.rebuilt, rollSeconds, againSeconds, again: summarize(again), ratio: rollSeconds / againSeconds, mismatches, writeSeconds, seedSeconds, seeded: seeded.rebuilt }));
  if (mismatches > 0 || warmed.rolled + warmed.rebuilt !== before.length) process.exitCode = 1;
} finally {
  await pool.end();
  await postgres.stop();
}
