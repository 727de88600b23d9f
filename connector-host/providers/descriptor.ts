import type { ErpArticle, ErpAttribute } from "../simulator/types.ts";

export * from "../../schema/query-descriptor.ts";
import type { DESCRIPTOR_FIELDS, DescriptorField, FilterNode } from "../../schema/query-descriptor.ts";

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
