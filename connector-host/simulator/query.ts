import { QueryError } from "./errors.ts";
import type { ErpArticle, ErpAttribute } from "./types.ts";

/** The most values enventa accepts in one IN list; the provider batches larger sets. */
export const MAX_IN_VALUES = 1_000;

export const ARTICLE_FIELDS = ["articleId", "articleNumber", "name", "description", "brand", "ean", "manufacturerNumber", "categoryId", "listPrice", "rowversion"] as const;
export type ArticleField = (typeof ARTICLE_FIELDS)[number];
export const ATTRIBUTE_FIELDS = ["key", "value", "unit"] as const;
export type AttributeField = (typeof ATTRIBUTE_FIELDS)[number];

export type ScalarOp = "EQ" | "NE" | "GT" | "LT" | "LIKE";
export type Scalar = string | number;
export type Condition<F extends string> = { field: F; op: ScalarOp; value: Scalar } | { field: F; op: "IN"; values: Scalar[] };
export type ArticleCondition = Condition<ArticleField> | { op: "EXISTS"; relation: "attributes"; conditions: Condition<AttributeField>[] };

/**
 * enventa's query builder (like FSQueryList): conditions are always combined with AND, and
 * there is no OR at all. IN lists are limited to 1,000 values.
 */
export class ConditionList<F extends string> {
  readonly conditions: Condition<F>[] = [];
  constructor(private readonly fields: readonly F[]) {}

  private add(c: Condition<F>): this {
    if (!this.fields.includes(c.field)) throw new QueryError(`unknown field '${c.field}'`);
    this.conditions.push(c);
    return this;
  }
  eq(field: F, value: Scalar): this {
    return this.add({ field, op: "EQ", value });
  }
  ne(field: F, value: Scalar): this {
    return this.add({ field, op: "NE", value });
  }
  gt(field: F, value: Scalar): this {
    return this.add({ field, op: "GT", value });
  }
  lt(field: F, value: Scalar): this {
    return this.add({ field, op: "LT", value });
  }
  /** SQL LIKE: `%` any run, `_` one character, case-insensitive (the ERP's collation). */
  like(field: F, pattern: string): this {
    return this.add({ field, op: "LIKE", value: pattern });
  }
  in(field: F, values: Scalar[]): this {
    if (values.length > MAX_IN_VALUES) throw new QueryError(`IN list of ${values.length} values exceeds the limit of ${MAX_IN_VALUES}`);
    if (values.length === 0) throw new QueryError("IN list must not be empty");
    return this.add({ field, op: "IN", values: [...values] });
  }
}

export class ArticleQuery extends ConditionList<ArticleField> {
  readonly exists: { relation: "attributes"; conditions: Condition<AttributeField>[] }[] = [];
  sort: { field: ArticleField; ascending: boolean }[] = [];
  skipRows = 0;
  takeRows: number | undefined;

  constructor() {
    super(ARTICLE_FIELDS);
  }
  /** EXISTS (attribute of this article matching all sub-conditions). */
  existsAttribute(build: (q: ConditionList<AttributeField>) => void): this {
    const sub = new ConditionList(ATTRIBUTE_FIELDS);
    build(sub);
    this.exists.push({ relation: "attributes", conditions: sub.conditions });
    return this;
  }
  orderBy(field: ArticleField, ascending = true): this {
    if (!ARTICLE_FIELDS.includes(field)) throw new QueryError(`unknown sort field '${field}'`);
    this.sort.push({ field, ascending });
    return this;
  }
  skip(n: number): this {
    this.skipRows = n;
    return this;
  }
  take(n: number): this {
    this.takeRows = n;
    return this;
  }
}

const likeCache = new Map<string, RegExp>();
export function likeToRegExp(pattern: string): RegExp {
  let re = likeCache.get(pattern);
  if (!re) {
    const body = pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/%/g, ".*").replace(/_/g, ".");
    re = new RegExp(`^${body}$`, "is");
    if (likeCache.size > 1000) likeCache.clear();
    likeCache.set(pattern, re);
  }
  return re;
}

/** Compares like SQL Server would: numbers numerically, text case-insensitively. */
export function compare(a: Scalar | null, b: Scalar): number {
  if (a === null) return -1;
  const na = typeof a === "number" ? a : Number(a);
  const nb = typeof b === "number" ? b : Number(b);
  if (a !== "" && b !== "" && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return String(a).localeCompare(String(b), "de", { sensitivity: "accent" });
}

export function matches(value: Scalar | null | (Scalar | null)[], c: Condition<string>): boolean {
  // A multi-valued field (categoryId) matches when any of its values does, as an EXISTS join
  // would; NULL matches no comparison, as in SQL.
  if (Array.isArray(value)) return value.some((v) => matches(v, c));
  switch (c.op) {
    case "EQ":
      return value !== null && compare(value, c.value) === 0;
    case "NE":
      return value !== null && compare(value, c.value) !== 0;
    case "GT":
      return value !== null && compare(value, c.value) > 0;
    case "LT":
      return value !== null && compare(value, c.value) < 0;
    case "LIKE":
      return value !== null && likeToRegExp(String(c.value)).test(String(value));
    case "IN":
      return value !== null && c.values.some((v) => compare(value, v) === 0);
  }
}

export function articleValue(a: ErpArticle, field: ArticleField): Scalar | null | string[] {
  return field === "categoryId" ? a.categoryIds : (a[field] as Scalar | null);
}

export function matchesArticle(a: ErpArticle, q: ArticleQuery, attributes: () => ErpAttribute[]): boolean {
  if (!q.conditions.every((c) => matches(articleValue(a, c.field), c))) return false;
  return q.exists.every((e) => attributes().some((attr) => e.conditions.every((c) => matches(attr[c.field], c))));
}
