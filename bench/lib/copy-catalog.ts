import { once } from "node:events";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { ErpDatabase } from "../../connector-host/simulator/store.ts";
import type { ChildSet, ErpAttribute, ErpCrossRef, ErpMedia } from "../../connector-host/simulator/types.ts";

const esc = (v: string | null) => (v === null ? "\\N" : v.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r"));
const pgArray = (xs: string[]) => `{${xs.map((x) => `"${x.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join(",")}}`;

/** Streams rows into COPY with backpressure. */
export async function copyRows(client: pg.Client, sql: string, rows: Iterable<string>): Promise<number> {
  const stream = client.query(copyFrom(sql));
  let n = 0;
  let buf = "";
  for (const line of rows) {
    buf += line;
    n++;
    if (buf.length > 1 << 20) {
      if (!stream.write(buf)) await once(stream, "drain");
      buf = "";
    }
  }
  stream.end(buf);
  await once(stream, "finish");
  return n;
}

/**
 * The simulator's whole catalog (articles with attributes folded in, media, cross-references)
 * COPYed into `<schema>.articles|media|cross_references` for a tenant: the raw floor of a sync,
 * and the fast way to load a benchmark catalog.
 */
export async function copyCatalog(client: pg.Client, erp: ErpDatabase, schema: string, tenantId: string): Promise<number> {
  let rows = 0;
  rows += await copyRows(client, `COPY ${schema}.articles (tenant_id, article_id, rowversion, article_number, name, description, brand, ean, manufacturer_number, category_ids, attributes) FROM STDIN`, (function* () {
    for (const a of erp.allArticles()) {
      const attrs = ((erp.current("attributes", a.articleId) as ChildSet<ErpAttribute> | null)?.items ?? []).map((x) => [x.key, x.unit ? `${x.value} ${x.unit}` : x.value]);
      yield [tenantId, a.articleId, String(a.rowversion), esc(a.articleNumber), esc(a.name), esc(a.description), esc(a.brand), esc(a.ean), esc(a.manufacturerNumber), esc(pgArray(a.categoryIds)), esc(JSON.stringify(Object.fromEntries(attrs)))].join("\t") + "\n";
    }
  })());
  rows += await copyRows(client, `COPY ${schema}.media (tenant_id, article_id, media_id, rowversion, kind, url, alt, position) FROM STDIN`, (function* () {
    for (const a of erp.allArticles()) for (const m of (erp.current("media", a.articleId) as ChildSet<ErpMedia> | null)?.items ?? []) yield [tenantId, a.articleId, esc(m.mediaId), String(a.rowversion), m.kind, esc(m.url), esc(m.alt), String(m.position)].join("\t") + "\n";
  })());
  rows += await copyRows(client, `COPY ${schema}.cross_references (tenant_id, article_id, kind, target_article_id, rowversion, position) FROM STDIN`, (function* () {
    for (const a of erp.allArticles()) {
      const seen = new Set<string>();
      for (const x of (erp.current("cross_references", a.articleId) as ChildSet<ErpCrossRef> | null)?.items ?? []) {
        if (seen.has(`${x.kind}|${x.targetArticleId}`)) continue;
        seen.add(`${x.kind}|${x.targetArticleId}`);
        yield [tenantId, a.articleId, x.kind, x.targetArticleId, String(a.rowversion), String(x.position)].join("\t") + "\n";
      }
    }
  })());
  return rows;
}

/** Index definitions of the catalog tables in `public` (to drop before and rebuild after a load). */
export async function catalogIndexes(client: pg.Client): Promise<{ name: string; def: string }[]> {
  const r = await client.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename IN ('articles', 'media', 'cross_references') AND indexname NOT LIKE '%_pk'`);
  return (r.rows as { indexname: string; indexdef: string }[]).map((x) => ({ name: x.indexname, def: x.indexdef }));
}

/** The simulator's category tree into `<schema>.categories` (the storefront's navigation). */
export async function copyCategories(client: pg.Client, erp: ErpDatabase, schema: string, tenantId: string): Promise<number> {
  return copyRows(client, `COPY ${schema}.categories (tenant_id, category_id, parent_id, name, path, position, rowversion) FROM STDIN`, (function* () {
    for (const c of erp.categories()) yield [tenantId, esc(c.categoryId), esc(c.parentId), esc(c.name), esc(pgArray(c.path)), String(c.position), String(c.rowversion)].join("\t") + "\n";
  })());
}
