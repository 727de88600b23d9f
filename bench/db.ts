// `npm run bench -- db [--articles N] [--iterations N]`
// PK lookup and a 1,000-row keyset read through Worker (wrangler dev) -> Neon driver -> ws proxy
// -> system Postgres, against the same queries with `pg` straight to Postgres, in one run.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { Pool as NeonPool, neonConfig } from "@neondatabase/serverless";
import pg from "pg";
import { WebSocket } from "ws";
import { startStack } from "../scripts/local/stack.ts";
import { measure, printTable, type Summary } from "./lib/stats.ts";
import { freshBenchDir, startBenchPostgres } from "./lib/bench-postgres.ts";

const { values } = parseArgs({ options: { articles: { type: "string", default: "200000" }, iterations: { type: "string", default: "500" } } });
const N = Number(values.articles);
const ITER = Number(values.iterations);
const root = resolve(import.meta.dirname, "..");
const dataDir = freshBenchDir("db");

const sysPg = await startBenchPostgres(resolve(dataDir, "pg"));
const stack = await startStack({ root, dataDir: resolve(dataDir, "stack"), varsFile: resolve(dataDir, "worker.vars"), databaseUrl: sysPg.url });
try {
  const admin = (path: string, body?: unknown) =>
    fetch(`${stack.baseUrl}/v1/admin${path}`, { method: body ? "POST" : "GET", headers: { authorization: `Bearer ${stack.adminToken}`, "content-type": "application/json" }, ...(body !== undefined && { body: JSON.stringify(body) }) });
  await admin("/tenants", { tenantId: "bench", name: "Bench" });
  const { key } = (await (await admin("/tenants/bench/api-keys", {})).json()) as { key: string };

  const direct = new pg.Pool({ connectionString: sysPg.url, max: 1 });
  const seedStart = performance.now();
  await direct.query(
    `INSERT INTO articles (tenant_id, article_id, rowversion, article_number, name, description, brand, ean, category_ids, attributes)
     SELECT 'bench', 'A' || lpad(i::text, 8, '0'), i, 'SW-M' || (i % 30) || 'X' || (i % 200) || '-A2',
            'Sechskantschraube M' || (i % 30) || ' Edelstahl ' || i, 'Beschreibung ' || i, 'Marke ' || (i % 50),
            lpad(i::text, 13, '4'), ARRAY['c-' || (i % 100)], jsonb_build_object('Gewinde', 'M' || (i % 30), 'Länge', (i % 200) || ' mm')
     FROM generate_series(1, $1::int) AS i`,
    [N],
  );
  await direct.query("ANALYZE articles");
  console.log(`seeded ${N} articles in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

  const id = (i: number) => `A${String(1 + ((i * 7919) % N)).padStart(8, "0")}`;
  const cursorFor = (i: number) => `A${String(1 + ((i * 104729) % Math.max(1, N - 1000))).padStart(8, "0")}`;
  const cols = "article_id, article_number, name, description, brand, ean, manufacturer_number, category_ids, attributes, updated_at";
  const pkSql = `SELECT ${cols} FROM articles WHERE tenant_id = $1 AND article_id = $2 AND deleted_at IS NULL`;
  const pageSql = `SELECT ${cols} FROM articles WHERE tenant_id = $1 AND deleted_at IS NULL AND article_id > $2 ORDER BY article_id LIMIT 1000`;

  neonConfig.webSocketConstructor = WebSocket;
  neonConfig.wsProxy = (host, port) => `${stack.wsProxy}/v1?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
  const neon = new NeonPool({ connectionString: sysPg.url, max: 1 });

  const get = async (path: string, expectRows?: number) => {
    const res = await fetch(`${stack.baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    const body = (await res.json()) as { articles?: unknown[] };
    if (expectRows !== undefined && body.articles?.length !== expectRows) throw new Error(`expected ${expectRows} rows`);
  };
  const results: Record<string, Summary> = {};
  results.pk_pg = await measure(ITER, 50, async (i) => void (await direct.query(pkSql, ["bench", id(i)])));
  results.pk_neon = await measure(ITER, 50, async (i) => void (await neon.query(pkSql, ["bench", id(i)])));
  results.http_floor = await measure(ITER, 50, async () => void (await (await fetch(`${stack.baseUrl}/v1/health`)).text()));
  results.pk_worker = await measure(ITER, 50, (i) => get(`/v1/catalog/articles/${id(i)}`));
  const pageIter = Math.max(20, Math.floor(ITER / 5));
  results.page_pg = await measure(pageIter, 10, async (i) => void (await direct.query(pageSql, ["bench", cursorFor(i)])));
  results.page_neon = await measure(pageIter, 10, async (i) => void (await neon.query(pageSql, ["bench", cursorFor(i)])));
  results.page_worker = await measure(pageIter, 10, (i) => get(`/v1/catalog/articles?limit=1000&cursor=${cursorFor(i)}`, 1000));

  printTable(`db: ${N} articles, system Postgres, sequential requests`, [
    { name: "PK lookup: pg direct (floor)", s: results.pk_pg },
    { name: "PK lookup: Neon driver via ws proxy (warm)", s: results.pk_neon, floor: results.pk_pg },
    { name: "Worker GET /v1/health (HTTP, no DB)", s: results.http_floor, floor: results.pk_pg },
    { name: "PK lookup: Worker GET /articles/:id", s: results.pk_worker, floor: results.pk_pg },
    { name: "1000 rows: pg direct (floor)", s: results.page_pg },
    { name: "1000 rows: Neon driver via ws proxy (warm)", s: results.page_neon, floor: results.page_pg },
    { name: "1000 rows: Worker GET /articles?limit=1000", s: results.page_worker, floor: results.page_pg },
  ]);
  console.log(
    JSON.stringify({
      bench: "db",
      articles: N,
      results,
      ratios: { pk_worker_vs_pg_p50: results.pk_worker.p50 / results.pk_pg.p50, page_worker_vs_pg_p50: results.page_worker.p50 / results.page_pg.p50 },
    }),
  );
  await neon.end();
  await direct.end();
} finally {
  await stack.stop();
  await sysPg.stop();
}
