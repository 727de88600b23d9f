import { createHash } from "node:crypto";
import pg from "pg";
import type { ErpDatabase } from "../../connector-host/simulator/store.ts";
import type { ChildSet, ErpAttribute, ErpCrossRef, ErpMedia } from "../../connector-host/simulator/types.ts";

export interface TableDigest {
  rows: number;
  hash: string;
}
export type Digest = Record<"articles" | "attributes" | "media" | "cross_references" | "categories", TableDigest>;

const digest = (lines: string[]): TableDigest => ({ rows: lines.length, hash: createHash("sha256").update(lines.sort().join("\n")).digest("hex") });
const attrValue = (a: ErpAttribute) => (a.unit ? `${a.value} ${a.unit}` : a.value);
const sortedJson = (o: Record<string, string>) => JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]));

/** The simulator's current data, as the same canonical lines Postgres must hold. */
export function erpDigest(erp: ErpDatabase): Digest {
  const articles: string[] = [];
  const attributes: string[] = [];
  const media: string[] = [];
  const xrefs: string[] = [];
  for (const a of erp.allArticles()) {
    articles.push([a.articleId, a.articleNumber, a.name, a.description, a.brand ?? "", a.ean ?? "", a.manufacturerNumber ?? "", a.categoryIds.join(",")].join("|"));
    const attrs = (erp.current("attributes", a.articleId) as ChildSet<ErpAttribute> | null)?.items ?? [];
    attributes.push(`${a.articleId}|${sortedJson(Object.fromEntries(attrs.map((x) => [x.key, attrValue(x)])))}`);
    for (const m of (erp.current("media", a.articleId) as ChildSet<ErpMedia> | null)?.items ?? []) media.push([a.articleId, m.mediaId, m.kind, m.url, m.alt, m.position].join("|"));
    for (const x of (erp.current("cross_references", a.articleId) as ChildSet<ErpCrossRef> | null)?.items ?? []) xrefs.push([a.articleId, x.kind, x.targetArticleId, x.position].join("|"));
  }
  const categories = erp.categories().map((c) => [c.categoryId, c.parentId ?? "", c.name, c.path.join(",")].join("|"));
  return { articles: digest(articles), attributes: digest(attributes), media: digest(media), cross_references: digest(xrefs), categories: digest(categories) };
}

/** What Postgres holds for the tenant (live rows only), as canonical lines. */
export async function pgDigest(url: string, tenantId: string): Promise<Digest> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const q = async (sql: string) => (await c.query(sql, [tenantId])).rows as Record<string, unknown>[];
    const arts = await q(`SELECT article_id, article_number, name, description, brand, ean, manufacturer_number, category_ids, attributes FROM articles WHERE tenant_id = $1 AND deleted_at IS NULL`);
    const media = await q(`SELECT m.article_id, media_id, kind, url, alt, position FROM media m JOIN articles a USING (tenant_id, article_id) WHERE m.tenant_id = $1 AND a.deleted_at IS NULL`);
    const xrefs = await q(`SELECT x.article_id, kind, target_article_id, position FROM cross_references x JOIN articles a USING (tenant_id, article_id) WHERE x.tenant_id = $1 AND a.deleted_at IS NULL`);
    const cats = await q(`SELECT category_id, parent_id, name, path FROM categories WHERE tenant_id = $1 AND deleted_at IS NULL`);
    return {
      articles: digest(arts.map((a) => [a.article_id, a.article_number, a.name, a.description, a.brand ?? "", a.ean ?? "", a.manufacturer_number ?? "", (a.category_ids as string[]).join(",")].join("|"))),
      attributes: digest(arts.map((a) => `${a.article_id}|${sortedJson(a.attributes as Record<string, string>)}`)),
      media: digest(media.map((m) => [m.article_id, m.media_id, m.kind, m.url, m.alt, m.position].join("|"))),
      cross_references: digest(xrefs.map((x) => [x.article_id, x.kind, x.target_article_id, x.position].join("|"))),
      categories: digest(cats.map((x) => [x.category_id, x.parent_id ?? "", x.name, (x.path as string[]).join(",")].join("|"))),
    };
  } finally {
    await c.end();
  }
}

/** Total rows per table for the tenant, deleted ones included (to see nothing was written twice). */
export async function pgCounts(url: string, tenantId: string): Promise<Record<string, number>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const out: Record<string, number> = {};
    for (const t of ["articles", "media", "cross_references", "categories"]) out[t] = Number((await c.query(`SELECT count(*) AS n FROM ${t} WHERE tenant_id = $1`, [tenantId])).rows[0].n);
    return out;
  } finally {
    await c.end();
  }
}

/** One query's rows, straight from Postgres (what the gateway's answers are checked against). */
export async function pgQuery<T>(url: string, text: string, params: unknown[]): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}
