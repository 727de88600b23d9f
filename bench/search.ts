// `npm run bench -- search [--articles 1500000] [--iterations 100]`
// Search through the Worker (wrangler dev -> Neon driver -> proxy -> system Postgres) on the
// simulator's catalog, against the naive floor in the same run: the stored, GIN-indexed German
// tsvector @@ websearch_to_tsquery ORDER BY ts_rank LIMIT 20, with count and a GROUP BY facet,
// straight to Postgres.
import { parseArgs } from "node:util";
import pg from "pg";
import { ErpDatabase } from "../connector-host/simulator/store.ts";
import { benchStack } from "./lib/live-stack.ts";
import { catalogIndexes, copyCatalog } from "./lib/copy-catalog.ts";
import { measure, printTable, type Summary } from "./lib/stats.ts";

const { values } = parseArgs({ options: { articles: { type: "string", default: "1500000" }, iterations: { type: "string", default: "100" } } });
const N = Number(values.articles);
const ITER = Number(values.iterations);
const TENANT = "bench-search";

const env = await benchStack("search");
try {
  const { stack } = env;
  const admin = async (path: string, body?: unknown) => (await (await fetch(`${stack.baseUrl}/v1/admin${path}`, { method: body === undefined ? "GET" : "POST", headers: { authorization: `Bearer ${stack.adminToken}`, "content-type": "application/json" }, ...(body !== undefined && { body: JSON.stringify(body) }) })).json()) as Record<string, string>;
  await admin("/tenants", { tenantId: TENANT, name: "Search bench", config: { rateLimit: { requestsPerMinute: 10_000_000 } } });
  const key = (await admin(`/tenants/${TENANT}/api-keys`, {})).key!;

  // Load the catalog the fast way (COPY without indexes, then build them): this bench is about search.
  const erp = ErpDatabase.create(`${env.dir}/erp.db`, { articles: N });
  const c = new pg.Client({ connectionString: env.pg.url });
  await c.connect();
  const loadStart = performance.now();
  const indexes = await catalogIndexes(c);
  for (const i of indexes) await c.query(`DROP INDEX ${i.name}`);
  const rows = await copyCatalog(c, erp, "public", TENANT);
  for (const i of indexes) await c.query(i.def);
  await c.query("ANALYZE articles; ANALYZE media; ANALYZE cross_references");
  console.log(`loaded ${rows.toLocaleString("en")} rows (${N.toLocaleString("en")} articles) in ${((performance.now() - loadStart) / 1000).toFixed(0)} s`);

  const get = (params: Record<string, string>, cached = false) => async () => {
    const res = await fetch(`${stack.baseUrl}/v1/catalog/search?${new URLSearchParams(params)}`, { headers: { authorization: `Bearer ${key}`, ...(!cached && { "cache-control": "no-cache" }) } });
    if (res.status !== 200) throw new Error(`search ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  };
  const naive = async (q: string) => {
    await c.query(`SELECT article_id, ts_rank(search, query) AS rank FROM articles, websearch_to_tsquery('german', $2) query
                   WHERE tenant_id = $1 AND search @@ query ORDER BY rank DESC LIMIT 20`, [TENANT, q]);
    await c.query(`SELECT count(*) FROM articles, websearch_to_tsquery('german', $2) query WHERE tenant_id = $1 AND search @@ query`, [TENANT, q]);
    await c.query(`SELECT brand, count(*) FROM articles, websearch_to_tsquery('german', $2) query WHERE tenant_id = $1 AND search @@ query GROUP BY brand ORDER BY 2 DESC LIMIT 20`, [TENANT, q]);
  };
  const scenarios: [string, Record<string, string>][] = [
    ["narrow: 'Sechskantschraube M8x40 Edelstahl A2'", { q: "Sechskantschraube M8x40 Edelstahl A2" }],
    ["broad single term: 'Edelstahl'", { q: "Edelstahl" }],
    ["broad + 3 facets", { q: "Edelstahl", facets: "brand,category,attr:Oberfläche" }],
    ["article-number prefix 'SW-M8'", { q: "SW-M8" }],
    ["typo 'shraube'", { q: "shraube" }],
    ["1,000 results", { q: "Edelstahl", limit: "1000" }],
  ];
  const r: Record<string, Summary> = {};
  r.floor_narrow = await measure(ITER, 5, () => naive("Sechskantschraube M8x40 Edelstahl A2"));
  r.floor_broad = await measure(ITER, 5, () => naive("Edelstahl"));
  for (const [name, params] of scenarios) r[name] = await measure(ITER, 5, get(params));
  r["cached broad + 3 facets"] = await measure(ITER, 5, get({ q: "Edelstahl", facets: "brand,category,attr:Oberfläche" }, true));
  const totals: Record<string, number> = {};
  for (const [name, params] of scenarios) {
    const res = await fetch(`${stack.baseUrl}/v1/catalog/search?${new URLSearchParams(params)}`, { headers: { authorization: `Bearer ${key}` } });
    totals[name] = ((await res.json()) as { total: number }).total;
  }
  printTable(`search: ${N.toLocaleString("en")} articles, system Postgres, through the Worker (uncached unless noted)`, [
    { name: "floor: naive ts_rank top 20 + count + facet (narrow)", s: r.floor_narrow! },
    { name: "floor: naive ts_rank top 20 + count + facet (broad)", s: r.floor_broad! },
    ...scenarios.map(([name]) => ({ name: `${name} (${totals[name]} hits)`.slice(0, 60), s: r[name]!, floor: name.startsWith("narrow") ? r.floor_narrow! : r.floor_broad! })),
    { name: "cached broad + 3 facets", s: r["cached broad + 3 facets"]!, floor: r.floor_broad! },
  ]);
  console.log(JSON.stringify({ bench: "search", articles: N, results: r, totals }));
  await c.end();
  erp.close();
} finally {
  await env.stop();
}
