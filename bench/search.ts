// `npm run bench -- search [--articles 1500000] [--iterations 20] [--via direct|dev] [--seed yes|no] [--pooler yes|no] [--huge-pages yes|no]`
// Search through the Worker (Neon driver -> proxy -> system Postgres) on the
// simulator's catalog, against the naive floor in the same run: the stored, GIN-indexed German
// tsvector @@ websearch_to_tsquery ORDER BY ts_rank LIMIT 20, with count and a GROUP BY facet,
// straight to Postgres. `--via direct` (default) runs the deployable bundle straight in workerd,
// as production has no wrangler dev proxy in front; `--via dev` under `wrangler dev`. After the
// load the catalog version moves and the summaries every sync commit leaves (common words,
// category pages) are computed as the sync's warm-up does; `--seed no` leaves them out.
// Postgres runs as in production unless told otherwise: the Worker reaches it through PgBouncer in
// transaction mode (Neon's pooled connection string; `--pooler no`: a new backend per request)
// and its shared buffers are on huge pages (`--huge-pages no`: 4 KB pages). Both matter because a
// backend maps each shared buffer it touches the first time (two page faults per 8 KB page):
// a new backend per request pays that on every page of its query, ~100 ms over 24k pages.
import { parseArgs } from "node:util";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "../schema/index.ts";
import type { Database } from "../workers/db/client.ts";
import { warmSummaries } from "../workers/search/summaries.ts";
import { ErpDatabase } from "../connector-host/simulator/store.ts";
import { databaseBusy } from "./lib/bench-postgres.ts";
import { EDGE_LABELS, EDGE_VIAS, type EdgeVia, benchEdge } from "./lib/bench-edge.ts";
import { catalogIndexes, copyCatalog, copyCategories } from "./lib/copy-catalog.ts";
import { PRODUCT_TYPES, THREADS } from "../connector-host/simulator/vocabulary.ts";
import { measure, printTable, type Summary, summarize } from "./lib/stats.ts";

const { values } = parseArgs({ options: { articles: { type: "string", default: "1500000" }, iterations: { type: "string", default: "20" }, via: { type: "string", default: "direct" }, seed: { type: "string", default: "yes" }, pooler: { type: "string", default: "yes" }, "huge-pages": { type: "string", default: "yes" } } });
const N = Number(values.articles);
const ITER = Number(values.iterations);
if (!EDGE_VIAS.includes(values.via as EdgeVia)) {
  console.error(`--via must be one of ${EDGE_VIAS.join(", ")} (got ${values.via})`);
  process.exit(2);
}
const VIA = values.via as EdgeVia;
/** A yes/no option's value; anything else ends the bench with a usage error. */
function yesNo(name: "seed" | "pooler" | "huge-pages"): boolean {
  const v = values[name];
  if (v === "yes" || v === "no") return v === "yes";
  console.error(`--${name} must be yes or no (got ${v})`);
  process.exit(2);
}
const SEED = yesNo("seed");
const POOLER = yesNo("pooler");
const HUGE_PAGES = yesNo("huge-pages");
const TENANT = "bench-search";

const env = await benchEdge(`search-${VIA}`, VIA, () => {}, { pooler: POOLER, hugePages: HUGE_PAGES });
if (HUGE_PAGES && !env.postgres.hugePages) console.log("huge pages asked for but not available here (not root, or no memory for them): Postgres runs on 4 KB pages");
try {
  const { stack } = env;
  const admin = async (path: string, body?: unknown) => (await (await fetch(`${stack.baseUrl}/v1/admin${path}`, { method: body === undefined ? "GET" : "POST", headers: { authorization: `Bearer ${stack.adminToken}`, "content-type": "application/json" }, ...(body !== undefined && { body: JSON.stringify(body) }) })).json()) as Record<string, string>;
  await admin("/tenants", { tenantId: TENANT, name: "Search bench", config: { rateLimit: { requestsPerMinute: 10_000_000 }, search: { facetAttributes: ["Oberfläche"] } } });
  const key = (await admin(`/tenants/${TENANT}/api-keys`, {})).key!;

  // Load the catalog the fast way (COPY without indexes, then build them): this bench is about search.
  const erp = ErpDatabase.create(`${env.dir}/erp.db`, { articles: N });
  const c = new pg.Client({ connectionString: env.pg.url });
  await c.connect();
  const loadStart = performance.now();
  const indexes = await catalogIndexes(c);
  for (const i of indexes) await c.query(`DROP INDEX ${i.name}`);
  const rows = (await copyCatalog(c, erp, "public", TENANT)) + (await copyCategories(c, erp, "public", TENANT));
  for (const i of indexes) await c.query(i.def);
  // Vacuumed as a catalog in service long has been: left to autovacuum, the pass over 7.2M
  // freshly loaded rows runs through the first scenarios' cold samples.
  for (const table of ["articles", "media", "cross_references"]) await c.query(`VACUUM (ANALYZE) ${table}`);
  console.log(`loaded ${rows.toLocaleString("en")} rows (${N.toLocaleString("en")} articles) in ${((performance.now() - loadStart) / 1000).toFixed(0)} s`);
  // The load is a sync's commit: the catalog version moves, and the sync's warm-up summarizes
  // the common words and category pages (node-postgres under drizzle: the Worker's own SQL).
  await c.query(`UPDATE tenants SET catalog_version = 1 WHERE tenant_id = $1`, [TENANT]);
  const warmPool = new pg.Pool({ connectionString: env.pg.url, max: 2 });
  const warmStart = performance.now();
  const warmed = SEED ? await warmSummaries(drizzle(warmPool, { schema }) as unknown as Database, TENANT, { from: 0, to: 1, budgetMs: 3_600_000 }) : { rebuilt: 0 };
  const warmSeconds = (performance.now() - warmStart) / 1000;
  await warmPool.end();
  const seeded = (await c.query(`SELECT count(*) FILTER (WHERE request ? 'filter')::int AS pages, count(*) FILTER (WHERE NOT request ? 'filter')::int AS words FROM search_summaries WHERE tenant_id = $1`, [TENANT])).rows[0] as { pages: number; words: number };
  const ix = "indexed" in warmed ? warmed.indexed : undefined;
  console.log(SEED ? `sync warm-up after the load: ${warmed.rebuilt} summaries (${seeded.words} common words, ${seeded.pages} category pages) in ${warmSeconds.toFixed(1)} s, of which the word index (${ix?.words} words, ${ix?.facets} facet columns) ${((ix?.ms ?? 0) / 1000).toFixed(1)} s` : "no sync warm-up (--seed no)");

  /** What answered the last query (x-search-source: summary, index, database). */
  let lastSource = "";
  /** Per cold scenario, how many of its queries each source answered. */
  const sources: Record<string, Record<string, number>> = {};
  const ask = async (params: Record<string, string>, cached = false) => {
    const res = await fetch(`${stack.baseUrl}/v1/catalog/search?${new URLSearchParams(params)}`, { headers: { authorization: `Bearer ${key}`, ...(!cached && { "cache-control": "no-cache" }) } });
    if (res.status !== 200) throw new Error(`search ${res.status}: ${await res.text()}`);
    lastSource = res.headers.get("x-search-source") ?? (res.headers.get("x-search-cache") === "hit" ? "cache" : "?");
    return (await res.json()) as { total: number };
  };
  const get = (params: Record<string, string>, cached = false) => async () => void (await ask(params, cached));
  const naive = async (q: string) => {
    await c.query(`SELECT article_id, ts_rank(search, query) AS rank FROM articles, websearch_to_tsquery('german', $2) query
                   WHERE tenant_id = $1 AND search @@ query ORDER BY rank DESC LIMIT 20`, [TENANT, q]);
    await c.query(`SELECT count(*) FROM articles, websearch_to_tsquery('german', $2) query WHERE tenant_id = $1 AND search @@ query`, [TENANT, q]);
    await c.query(`SELECT brand, count(*) FROM articles, websearch_to_tsquery('german', $2) query WHERE tenant_id = $1 AND search @@ query GROUP BY brand ORDER BY 2 DESC LIMIT 20`, [TENANT, q]);
  };
  /** Until no other query (a summary the Worker computes after a slow answer) nor autovacuum has run for 200 ms. */
  const quiet = async () => {
    for (let still = 0, i = 0; still < 4 && i < 1200; i++) {
      still = (await databaseBusy(c, { autovacuum: true })) ? 0 : still + 1;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  /**
   * First-time queries: each sample is a query never asked before (no summary, no cache). A
   * slow one leaves a summary being computed in the background; the next sample waits for the
   * database to be quiet so it is not measured against that work.
   */
  const cold = async (name: string, queries: Record<string, string>[]) => {
    const samples: number[] = [];
    const by: Record<string, number> = (sources[name] = {});
    for (const params of queries.slice(0, ITER)) {
      await quiet();
      const t = performance.now();
      await ask(params);
      samples.push(performance.now() - t);
      by[lastSource] = (by[lastSource] ?? 0) + 1;
    }
    await quiet();
    return summarize(samples);
  };
  const nouns = PRODUCT_TYPES.map((t) => t.noun);
  const typo = (w: string) => w.slice(0, 2) + w.slice(3); // "Sechskantschraube" -> "Sehskantschraube"
  // Category pages: the storefront's other main entry besides the search box.
  const category = (id: string) => JSON.stringify({ field: "categoryId", op: "EQ", value: id });
  const categories = Array.from({ length: ITER }, (_, i) => `K1-${String((i % 12) + 1).padStart(2, "0")}-${(i % 6) + 1}`);
  const scenarios: [string, Record<string, string>, Record<string, string>[]][] = [
    ["narrow: 'Sechskantschraube M8x40 Edelstahl A2'", { q: "Sechskantschraube M8x40 Edelstahl A2" }, nouns.map((n, i) => ({ q: `${n} ${THREADS[i % THREADS.length]}x40 Edelstahl A2` }))],
    ["broad: product noun (~42k hits)", { q: "Sechskantschraube" }, nouns.map((q) => ({ q }))],
    ["broad: 'Edelstahl' (428k hits)", { q: "Edelstahl" }, ["Edelstahl", "Messing", "Aluminium", "Kunststoff", "verzinkt", "schwarz"].map((q) => ({ q }))],
    ["broad noun + 3 facets", { q: "Zylinderschraube", facets: "brand,category,attr:Oberfläche" }, nouns.map((q) => ({ q: `${q} Stahl`, facets: "brand,category,attr:Oberfläche" }))],
    ["article-number prefix 'SW-M8'", { q: "SW-M8" }, PRODUCT_TYPES.map((t, i) => ({ q: `${t.code}-${THREADS[i % THREADS.length]}` }))],
    ["typo 'Sehskantschraube'", { q: typo("Sechskantschraube") }, nouns.filter((n) => n.length >= 8).map((n) => ({ q: typo(n) }))],
    ["category page (no text) + brand facet", { filter: category("K1-03-2"), facets: "brand" }, categories.map((c) => ({ filter: category(c), facets: "brand" }))],
    ["broad noun within a category", { q: "Edelstahl", filter: category("K1-05-3") }, categories.map((c) => ({ q: "Stahl", filter: category(c) }))],
    ["1,000 results of a broad noun", { q: "Holzschraube", limit: "1000" }, nouns.map((q) => ({ q: `${q} Edelstahl`, limit: "1000" }))],
  ];
  const r: Record<string, Summary> = {};
  r.floor_narrow = await measure(ITER, 5, () => naive("Sechskantschraube M8x40 Edelstahl A2"));
  r.floor_noun = await measure(ITER, 5, () => naive("Sechskantschraube"));
  r.floor_broad = await measure(ITER, 5, () => naive("Edelstahl"));
  const floorOf = (name: string) => (name.startsWith("narrow") || name.startsWith("category") ? r.floor_narrow! : name.includes("428k") ? r.floor_broad! : r.floor_noun!);
  for (const [name, , firsts] of scenarios) r[`cold ${name}`] = await cold(name, firsts);
  for (const [name, params] of scenarios) r[`warm ${name}`] = await measure(ITER, 3, get(params));
  r["cached broad noun + 3 facets"] = await measure(ITER, 3, get({ q: "Zylinderschraube", facets: "brand,category,attr:Oberfläche" }, true));
  const totals: Record<string, number> = {};
  for (const [name, params] of scenarios) totals[name] = (await ask(params)).total;
  printTable(`search: ${N.toLocaleString("en")} articles, system Postgres, through the Worker, ${EDGE_LABELS[VIA]} (cold = a query never asked before at this catalog version${SEED ? ", beside the common words and category pages the sync's warm-up summarized" : ", no warm-up"}; warm = asked before at this catalog version, Cache API bypassed; Postgres ${env.postgres.pooler ? "behind PgBouncer (transaction mode)" : "without a pooler (a backend per request)"}, ${env.postgres.hugePages ? "on huge pages" : "on 4 KB pages"})`, [
    { name: "floor: naive top 20 + count + facet (narrow)", s: r.floor_narrow! },
    { name: "floor: naive top 20 + count + facet (noun)", s: r.floor_noun! },
    { name: "floor: naive top 20 + count + facet (Edelstahl)", s: r.floor_broad! },
    ...scenarios.flatMap(([name]) => [
      { name: `cold ${name}`.slice(0, 60), s: r[`cold ${name}`]!, floor: floorOf(name) },
      { name: `warm ${name} (${totals[name]} hits)`.slice(0, 60), s: r[`warm ${name}`]!, floor: floorOf(name) },
    ]),
    { name: "cached (Cache API) broad noun + 3 facets", s: r["cached broad noun + 3 facets"]!, floor: r.floor_noun! },
  ]);
  for (const [name, by] of Object.entries(sources)) console.log(`cold ${name}: answered by ${Object.entries(by).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  console.log(JSON.stringify({ bench: "search", via: VIA, articles: N, seed: SEED, postgres: env.postgres, warmup: { seconds: warmSeconds, summaries: warmed.rebuilt, ...seeded, ...("indexed" in warmed && { index: warmed.indexed }) }, results: r, totals, sources }));
  await c.end();
  erp.close();
} finally {
  await env.stop();
}
