import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";

export interface ArticleDetails {
  articleId: string;
  articleNumber: string;
  name: string;
  description: string;
  brand: string | null;
  ean: string | null;
  manufacturerNumber: string | null;
  categoryIds: string[];
  attributes: Record<string, string>;
  updatedAt: string;
  media: { mediaId: string; kind: string; url: string; alt: string; position: number }[];
  crossReferences: { kind: string; articleId: string; name: string | null; articleNumber: string | null; position: number }[];
  /** Each category of the article as its path from the root: [{ categoryId, name }, ...]. */
  categoryPaths: { categoryId: string; name: string }[][];
}

/**
 * One article with media, cross-references (with the target's name, if it is in the catalog)
 * and category paths, in a single round trip. Deleted articles and other tenants' rows never
 * appear: every part is filtered by the tenant.
 */
export async function articleDetails(db: Database, tenantId: string, articleId: string): Promise<ArticleDetails | null> {
  const r = await db.execute<Record<string, unknown>>(sql`
    SELECT a.article_id, a.article_number, a.name, a.description, a.brand, a.ean, a.manufacturer_number, a.category_ids, a.attributes, a.updated_at,
      (SELECT coalesce(json_agg(json_build_object('mediaId', m.media_id, 'kind', m.kind, 'url', m.url, 'alt', m.alt, 'position', m.position) ORDER BY m.position, m.media_id), '[]')
         FROM media m WHERE m.tenant_id = a.tenant_id AND m.article_id = a.article_id) AS media,
      (SELECT coalesce(json_agg(json_build_object('kind', x.kind, 'articleId', x.target_article_id, 'name', t.name, 'articleNumber', t.article_number, 'position', x.position) ORDER BY x.kind, x.position, x.target_article_id), '[]')
         FROM cross_references x LEFT JOIN articles t ON t.tenant_id = x.tenant_id AND t.article_id = x.target_article_id AND t.deleted_at IS NULL
         WHERE x.tenant_id = a.tenant_id AND x.article_id = a.article_id) AS cross_references,
      (SELECT coalesce(json_agg(path ORDER BY ord), '[]') FROM (
         SELECT ci.ord, (SELECT coalesce(json_agg(json_build_object('categoryId', p.id, 'name', coalesce(c.name, p.id)) ORDER BY p.n), '[]')
                         FROM unnest(coalesce(leaf.path, ARRAY[ci.id])) WITH ORDINALITY p(id, n)
                         LEFT JOIN categories c ON c.tenant_id = a.tenant_id AND c.category_id = p.id) AS path
         FROM unnest(a.category_ids) WITH ORDINALITY ci(id, ord)
         LEFT JOIN categories leaf ON leaf.tenant_id = a.tenant_id AND leaf.category_id = ci.id) paths) AS category_paths
    FROM articles a
    WHERE a.tenant_id = ${tenantId} AND a.article_id = ${articleId} AND a.deleted_at IS NULL`);
  const a = r.rows[0];
  if (!a) return null;
  return {
    articleId: String(a.article_id), articleNumber: String(a.article_number), name: String(a.name), description: String(a.description),
    brand: (a.brand as string | null) ?? null, ean: (a.ean as string | null) ?? null, manufacturerNumber: (a.manufacturer_number as string | null) ?? null,
    categoryIds: (a.category_ids as string[]) ?? [], attributes: (a.attributes as Record<string, string>) ?? {}, updatedAt: new Date(a.updated_at as string).toISOString(),
    media: a.media as ArticleDetails["media"], crossReferences: a.cross_references as ArticleDetails["crossReferences"], categoryPaths: a.category_paths as ArticleDetails["categoryPaths"],
  };
}
