import { z } from "zod";
import type { ErpArticle, ErpAttribute } from "../simulator/types.ts";

/**
 * Query descriptors (ADR-023): serializable filter trees with AND / OR / NOT over article fields
 * and attributes (`attr:<key>`), plus sort and pagination. They cross the tunnel as JSON and
 * are translated to the ERP's own query builder by the provider.
 */
export const DESCRIPTOR_FIELDS = ["articleId", "articleNumber", "name", "description", "brand", "ean", "manufacturerNumber", "categoryId", "listPrice", "rowversion"] as const;
export type DescriptorField = (typeof DESCRIPTOR_FIELDS)[number] | `attr:${string}`;
export const COMPARISON_OPS = ["EQ", "NE", "GT", "GTE", "LT", "LTE", "LIKE"] as const;

const scalar = z.union([z.string().max(1000), z.number().finite()]);
const field = z.union([z.enum(DESCRIPTOR_FIELDS), z.string().regex(/^attr:.{1,200}$/, "attr:<key>") as z.ZodType<`attr:${string}`>]);

export type FilterNode =
  | { and: FilterNode[] }
  | { or: FilterNode[] }
  | { not: FilterNode }
  | { field: DescriptorField; op: (typeof COMPARISON_OPS)[number]; value: string | number }
  | { field: DescriptorField; op: "IN"; values: (string | number)[] }
  | { field: `attr:${string}`; op: "EXISTS" };

export const filterNodeSchema: z.ZodType<FilterNode> = z.lazy(() =>
  z.union([
    z.object({ and: z.array(filterNodeSchema).min(1).max(100) }).strict(),
    z.object({ or: z.array(filterNodeSchema).min(1).max(100) }).strict(),
    z.object({ not: filterNodeSchema }).strict(),
    z.object({ field, op: z.enum(COMPARISON_OPS), value: scalar }).strict(),
    z.object({ field, op: z.literal("IN"), values: z.array(scalar).min(1).max(100_000) }).strict(),
    z.object({ field: z.string().regex(/^attr:.{1,200}$/) as z.ZodType<`attr:${string}`>, op: z.literal("EXISTS") }).strict(),
  ]),
);

export const queryDescriptorSchema = z
  .object({
    filter: filterNodeSchema.optional(),
    sort: z.array(z.object({ field: z.enum(DESCRIPTOR_FIELDS), direction: z.enum(["asc", "desc"]).default("asc") }).strict()).max(5).default([]),
    pagination: z.object({ offset: z.int().min(0).default(0), limit: z.int().min(1).max(100_000).default(1000) }).strict().prefault({}),
  })
  .strict();
export type QueryDescriptor = z.output<typeof queryDescriptorSchema>;

// ---- reference semantics ------------------------------------------------------------------

type Value = string | number | null;

function compareValues(a: Value, b: string | number): number {
  if (a === null) return Number.NaN;
  const na = typeof a === "number" ? a : Number(a);
  const nb = typeof b === "number" ? b : Number(b);
  if (a !== "" && b !== "" && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return String(a).localeCompare(String(b), "de", { sensitivity: "accent" });
}

function likeMatches(value: string, pattern: string): boolean {
  const body = pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/%/g, ".*").replace(/_/g, ".");
  return new RegExp(`^${body}$`, "is").test(value);
}

function valuesOf(article: ErpArticle, attributes: ErpAttribute[], f: DescriptorField): Value[] {
  if (f.startsWith("attr:")) {
    const key = f.slice(5);
    return attributes.filter((a) => a.key === key).map((a) => a.value);
  }
  if (f === "categoryId") return article.categoryIds;
  return [article[f as Exclude<(typeof DESCRIPTOR_FIELDS)[number], "categoryId">] as Value];
}

/** One comparison on one value; null (missing) never matches a comparison. */
export function testValue(v: Value, op: Exclude<FilterNode, { and: unknown } | { or: unknown } | { not: unknown }>["op"], operand: string | number | (string | number)[]): boolean {
  if (v === null) return false;
  switch (op) {
    case "EQ":
      return compareValues(v, operand as string | number) === 0;
    case "NE":
      return compareValues(v, operand as string | number) !== 0;
    case "GT":
      return compareValues(v, operand as string | number) > 0;
    case "GTE":
      return compareValues(v, operand as string | number) >= 0;
    case "LT":
      return compareValues(v, operand as string | number) < 0;
    case "LTE":
      return compareValues(v, operand as string | number) <= 0;
    case "LIKE":
      return likeMatches(String(v), String(operand));
    case "IN":
      return (operand as (string | number)[]).some((o) => compareValues(v, o) === 0);
    case "EXISTS":
      return true;
  }
}

/**
 * The meaning of a filter tree for one article: a condition holds when any of the field's
 * values satisfies it (fields like categoryId and attributes can have several; an absent value
 * satisfies nothing, so NE on a missing attribute is false and NOT(EQ) is true).
 */
export function evaluateFilter(node: FilterNode, article: ErpArticle, attributes: ErpAttribute[]): boolean {
  if ("and" in node) return node.and.every((n) => evaluateFilter(n, article, attributes));
  if ("or" in node) return node.or.some((n) => evaluateFilter(n, article, attributes));
  if ("not" in node) return !evaluateFilter(node.not, article, attributes);
  const values = valuesOf(article, attributes, node.field);
  if (node.op === "EXISTS") return values.length > 0;
  const operand = node.op === "IN" ? node.values : node.value;
  return values.some((v) => testValue(v, node.op, operand));
}
