import { and, eq, inArray, isNull } from "drizzle-orm";
import { articles } from "../../schema/index.ts";
import type { Database } from "../db/client.ts";

/**
 * Article ids (of up to 1,000 order lines) the tenant's synced catalog does not have, or has
 * deleted: one indexed lookup on the (tenant, article) primary key. The ERP checks again when
 * the order arrives (the catalog lags the ERP by up to a sync interval).
 */
export async function unknownArticles(db: Database, tenantId: string, articleIds: string[]): Promise<Set<string>> {
  const wanted = [...new Set(articleIds)];
  const rows = await db
    .select({ id: articles.articleId })
    .from(articles)
    .where(and(eq(articles.tenantId, tenantId), inArray(articles.articleId, wanted), isNull(articles.deletedAt)));
  const known = new Set(rows.map((r) => r.id));
  return new Set(wanted.filter((id) => !known.has(id)));
}
