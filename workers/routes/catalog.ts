import { and, asc, eq, gt, isNull } from "drizzle-orm";
import { type Context, Hono } from "hono";
import { z } from "zod";
import { articles } from "../../schema/index.ts";
import { badRequest, notFound } from "../errors.ts";
import { live, tenantSession } from "../lib/live.ts";
import { jsonBody, parseWith, pathParams, queryParams } from "../lib/validate.ts";
import { articleDetails } from "../search/details.ts";
import { cachedSearch } from "../search/cache.ts";
import { afterResponse, searchContext } from "../search/context.ts";
import { startSearch } from "../search/summaries.ts";
import { type AnswerSource, type SearchRequest, search, searchRequestSchema } from "../search/query.ts";
import { verifyCustomer } from "../middleware/customer-auth.ts";
import type { AppEnv } from "../types.ts";

const articleIdSchema = z.string().min(1).max(64);
export const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    /** Keyset cursor: the last article id of the previous page. */
    cursor: articleIdSchema.optional(),
  })
  .strict();

export const detailQuery = z
  .object({
    include: z
      .string()
      .regex(/^(price|stock)(,(price|stock))?$/, "comma-separated: price, stock")
      .transform((s) => s.split(","))
      .default([]),
    quantity: z.coerce.number().positive().max(1e9).default(1),
  })
  .strict();

const articleColumns = {
  articleId: articles.articleId,
  articleNumber: articles.articleNumber,
  name: articles.name,
  description: articles.description,
  brand: articles.brand,
  ean: articles.ean,
  manufacturerNumber: articles.manufacturerNumber,
  categoryIds: articles.categoryIds,
  attributes: articles.attributes,
  updatedAt: articles.updatedAt,
};

/** GET form of a search: `filter` is a JSON filter tree, `facets` a comma-separated list. */
export const searchQuery = z
  .object({
    q: z.string().max(10_000).optional(),
    filter: z.string().max(20_000).optional(),
    facets: z.string().max(1_000).optional(),
    sort: z.string().optional(),
    limit: z.string().optional(),
    cursor: z.string().optional(),
  })
  .strict();

function fromQueryString(raw: z.output<typeof searchQuery>): unknown {
  let filter: unknown;
  if (raw.filter !== undefined) {
    try {
      filter = JSON.parse(raw.filter);
    } catch {
      throw badRequest("Invalid query parameters", [{ path: "filter", message: "not valid JSON" }]);
    }
  }
  return {
    ...(raw.q !== undefined && { q: raw.q }),
    ...(filter !== undefined && { filter }),
    ...(raw.facets && { facets: raw.facets.split(",").filter(Boolean) }),
    ...(raw.sort && { sort: raw.sort }),
    ...(raw.limit !== undefined && { limit: Number(raw.limit) }),
    ...(raw.cursor && { cursor: raw.cursor }),
  };
}

async function respondSearch(c: Context<AppEnv>, req: SearchRequest): Promise<Response> {
  const { tenantId } = c.var.tenant;
  const db = c.var.db();
  const start = await startSearch(db, tenantId, req);
  const bypass = /no-cache/i.test(c.req.header("cache-control") ?? "");
  let source: AnswerSource | undefined;
  const ctx = { ...searchContext(c, start), answeredBy: (s: AnswerSource) => void (source = s) };
  const { value, hit } = await cachedSearch(tenantId, start.version, req, () => search(db, tenantId, req, ctx), (p) => afterResponse(c, p), bypass);
  // What answered the query (the last answer: a typo's correction comes after its empty exact answer).
  return c.json(value, 200, { "x-search-cache": hit ? "hit" : "miss", ...(source && { "x-search-source": source }) });
}

/** Synced master data, served from Postgres only; every query is scoped by the key's tenant. */
export const catalogRoutes = new Hono<AppEnv>()
  .get("/search", async (c) => {
    const req = parseWith(searchRequestSchema, fromQueryString(queryParams(c, searchQuery)), "query parameters");
    return respondSearch(c, req);
  })
  .post("/query", async (c) => respondSearch(c, await jsonBody(c, searchRequestSchema)))
  .get("/articles", async (c) => {
    const { limit, cursor } = queryParams(c, listQuery);
    const { tenantId } = c.var.tenant;
    const rows = await c.var
      .db()
      .select(articleColumns)
      .from(articles)
      .where(and(eq(articles.tenantId, tenantId), isNull(articles.deletedAt), cursor ? gt(articles.articleId, cursor) : undefined))
      .orderBy(asc(articles.articleId))
      .limit(limit);
    const last = rows.length === limit ? rows[rows.length - 1] : undefined;
    return c.json({ articles: rows, nextCursor: last ? last.articleId : null });
  })
  .get("/articles/:articleId", async (c) => {
    const { articleId } = pathParams(c, z.object({ articleId: articleIdSchema }));
    const { include, quantity } = queryParams(c, detailQuery);
    const { tenantId } = c.var.tenant;
    // Live parts start at once, in parallel with the Postgres read; price needs the customer.
    const customerId = include.includes("price") ? await verifyCustomer(c) : undefined;
    const { stub, ref } = tenantSession(c);
    const price = customerId ? live(() => stub.prices(ref, c.var.origin, customerId, [{ articleId, quantity }])) : undefined;
    const stock = include.includes("stock") ? live(() => stub.stock(ref, c.var.origin, [articleId])) : undefined;
    price?.catch(() => {});
    stock?.catch(() => {});
    const row = await articleDetails(c.var.db(), tenantId, articleId);
    if (!row) throw notFound(`Article '${articleId}' not found`);
    return c.json({ ...row, ...(price && { price: (await price)[0] }), ...(stock && { stock: (await stock)[0] }) });
  });
