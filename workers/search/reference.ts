import type { FilterNode } from "../../schema/query-descriptor.ts";

/** An article as the search sees it in Postgres. */
export interface SearchRow {
  name: string;
  description: string;
  brand: string | null;
  ean: string | null;
  articleNumber: string;
  manufacturerNumber: string | null;
  categoryIds: string[];
  attributes: Record<string, string>;
}

const NUMERIC = /^-?\d+(\.\d+)?$/;

function cmp(v: string, operand: string | number): number {
  const o = String(operand);
  if (NUMERIC.test(o) && NUMERIC.test(v)) return Number(v) - Number(o);
  const a = v.toLowerCase();
  const b = o.toLowerCase();
  return a < b ? -1 : a > b ? 1 : 0;
}

function like(v: string, pattern: string): boolean {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "\\" && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    else if (ch === "%") re += "[\\s\\S]*";
    else if (ch === "_") re += "[\\s\\S]";
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, "i").test(v);
}

/**
 * The meaning of a search filter, as plain code: the specification the SQL compiler is tested
 * against. A field with several values (categories, attributes) matches when any value does; a
 * missing value matches no comparison.
 */
export function evaluateSearchFilter(node: FilterNode, row: SearchRow): boolean {
  if ("and" in node) return node.and.every((n) => evaluateSearchFilter(n, row));
  if ("or" in node) return node.or.some((n) => evaluateSearchFilter(n, row));
  if ("not" in node) return !evaluateSearchFilter(node.not, row);
  let values: string[];
  if (node.field.startsWith("attr:")) {
    const v = row.attributes[node.field.slice(5)];
    values = v === undefined ? [] : [v];
  } else if (node.field === "categoryId") values = row.categoryIds;
  else {
    const v = row[node.field as keyof Omit<SearchRow, "categoryIds" | "attributes">];
    values = v === null || v === undefined ? [] : [v];
  }
  if (node.op === "EXISTS") return values.length > 0;
  return values.some((v) => {
    switch (node.op) {
      case "EQ":
        return cmp(v, node.value) === 0;
      case "NE":
        return cmp(v, node.value) !== 0;
      case "GT":
        return cmp(v, node.value) > 0;
      case "GTE":
        return cmp(v, node.value) >= 0;
      case "LT":
        return cmp(v, node.value) < 0;
      case "LTE":
        return cmp(v, node.value) <= 0;
      case "LIKE":
        return like(v, String(node.value));
      case "IN":
        return node.values.some((x) => cmp(v, x) === 0);
    }
  });
}
