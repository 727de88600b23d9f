import type { ServiceImpl } from "@connectrpc/connect";
import type { Context } from "hono";
import {
  CatalogService, type FilterNode as PbFilterNode, Operator, Sort, type Value,
} from "../../proto/gen/b2x/storefront/v1/catalog_pb.ts";
import type { FilterNode } from "../../schema/query-descriptor.ts";
import { AppError, notFound } from "../errors.ts";
import { parseWith } from "../lib/validate.ts";
import { articleDetails } from "../search/details.ts";
import { searchContext } from "../search/context.ts";
import { startSearch } from "../search/summaries.ts";
import { search, searchRequestSchema } from "../search/query.ts";
import type { AppEnv } from "../types.ts";
import { connectService, guard } from "./mount.ts";

const OP_NAMES: Record<number, string> = {
  [Operator.EQ]: "EQ", [Operator.NE]: "NE", [Operator.GT]: "GT", [Operator.GTE]: "GTE", [Operator.LT]: "LT",
  [Operator.LTE]: "LTE", [Operator.IN]: "IN", [Operator.LIKE]: "LIKE", [Operator.EXISTS]: "EXISTS",
};
const SORT_NAMES: Record<number, string> = { [Sort.UNSPECIFIED]: "relevance", [Sort.RELEVANCE]: "relevance", [Sort.NAME]: "name", [Sort.ARTICLE_NUMBER]: "articleNumber" };
const MAX_DEPTH = 32;

const scalar = (v: Value | undefined): string | number | undefined => (v?.kind.case === "text" || v?.kind.case === "number" ? v.kind.value : undefined);

/** Proto filter -> the JSON filter tree, which the same zod schema then validates. */
function toFilter(n: PbFilterNode, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new AppError(400, "validation_failed", `filter is nested deeper than ${MAX_DEPTH}`);
  switch (n.node.case) {
    case "and":
      return { and: n.node.value.nodes.map((x) => toFilter(x, depth + 1)) };
    case "or":
      return { or: n.node.value.nodes.map((x) => toFilter(x, depth + 1)) };
    case "not":
      return { not: toFilter(n.node.value, depth + 1) };
    case "condition": {
      const c = n.node.value;
      const op = OP_NAMES[c.op] ?? `unknown(${c.op})`;
      if (op === "IN") return { field: c.field, op, values: c.values.map(scalar) };
      if (op === "EXISTS") return { field: c.field, op };
      return { field: c.field, op, value: scalar(c.value) };
    }
    default:
      throw new AppError(400, "validation_failed", "empty filter node");
  }
}

function catalogService(c: Context<AppEnv>): ServiceImpl<typeof CatalogService> {
  return {
    search: (req) =>
      guard(async () => {
        const input = parseWith(searchRequestSchema, {
          q: req.q,
          ...(req.filter && { filter: toFilter(req.filter) }),
          facets: req.facets,
          sort: SORT_NAMES[req.sort] ?? "relevance",
          ...(req.limit > 0 && { limit: req.limit }),
          ...(req.cursor && { cursor: req.cursor }),
        }, "request");
        const db = c.var.db();
        const { tenantId } = c.var.tenant;
        const request = { ...input, filter: input.filter as FilterNode | undefined };
        const out = await search(db, tenantId, request, searchContext(c, await startSearch(db, tenantId, request)));
        return {
          total: out.total,
          items: out.items.map((i) => ({ ...i, brand: i.brand ?? "", ean: i.ean ?? "", manufacturerNumber: i.manufacturerNumber ?? "" })),
          facets: Object.entries(out.facets).map(([name, values]) => ({ name, values })),
          nextCursor: out.nextCursor ?? "",
          fuzzy: out.fuzzy,
          correctedQuery: out.correctedQuery ?? "",
        };
      }),
    getArticle: (req) =>
      guard(async () => {
        if (!req.articleId || req.articleId.length > 64 || req.articleId.includes("\u0000")) throw new AppError(400, "validation_failed", "article_id is required (at most 64 characters, no NUL)");
        const a = await articleDetails(c.var.db(), c.var.tenant.tenantId, req.articleId);
        if (!a) throw notFound(`Article '${req.articleId}' not found`);
        return {
          ...a, brand: a.brand ?? "", ean: a.ean ?? "", manufacturerNumber: a.manufacturerNumber ?? "",
          crossReferences: a.crossReferences.map((x) => ({ ...x, name: x.name ?? "", articleNumber: x.articleNumber ?? "" })),
          categoryPaths: a.categoryPaths.map((steps) => ({ steps })),
        };
      }),
  };
}

/** `POST /b2x.storefront.v1.CatalogService/<Method>`. */
export const catalogConnectRoutes = connectService(CatalogService, catalogService);
