import { ArticleQuery, MAX_IN_VALUES, type ArticleField } from "../simulator/query.ts";
import type { ErpArticle, ErpAttribute } from "../simulator/types.ts";
import { type DescriptorField, type FilterNode, type QueryDescriptor, evaluateFilter } from "./descriptor.ts";

type Comparison = Exclude<FilterNode, { and: unknown } | { or: unknown } | { not: unknown }>;
interface Literal {
  cmp: Comparison;
  negated: boolean;
}
export type Conjunction = Literal[];

/** More sub-queries than this and the filter is refused rather than flooding the ERP. */
export const MAX_SUBQUERIES = 256;

/** Fields that always have exactly one non-null value, so NOT(EQ) is NE and so on. */
const TOTAL_FIELDS = new Set<DescriptorField>(["articleId", "articleNumber", "name", "description", "listPrice", "rowversion"]);

export class FilterTooComplexError extends Error {
  constructor(n: number) {
    super(`filter expands to ${n} ERP queries (at most ${MAX_SUBQUERIES}); simplify the OR/NOT structure`);
    this.name = "FilterTooComplexError";
  }
}

const cross = (a: Conjunction[], b: Conjunction[]): Conjunction[] => {
  const out: Conjunction[] = [];
  for (const x of a) for (const y of b) out.push([...x, ...y]);
  if (out.length > MAX_SUBQUERIES) throw new FilterTooComplexError(out.length);
  return out;
};

/** Disjunctive normal form with NOT pushed down to the literals (De Morgan). */
export function toDnf(node: FilterNode, negate = false): Conjunction[] {
  if ("and" in node || "or" in node) {
    const children = "and" in node ? node.and : node.or;
    const isAnd = "and" in node !== negate; // NOT(AND) = OR(NOT), NOT(OR) = AND(NOT)
    const parts = children.map((c) => toDnf(c, negate));
    if (isAnd) return parts.reduce((acc, p) => cross(acc, p), [[]] as Conjunction[]);
    const all = parts.flat();
    if (all.length > MAX_SUBQUERIES) throw new FilterTooComplexError(all.length);
    return all;
  }
  if ("not" in node) return toDnf(node.not, !negate);
  return expandLiteral({ cmp: node, negated: negate });
}

/** Rewrites what the builder cannot say directly (GTE, LTE, negations, long IN lists) as OR-able literals. */
function expandLiteral(l: Literal): Conjunction[] {
  const { cmp } = l;
  if (cmp.op === "GTE" || cmp.op === "LTE") {
    const strict = cmp.op === "GTE" ? "GT" : "LT";
    if (!l.negated) return [[{ cmp: { ...cmp, op: strict }, negated: false }], [{ cmp: { ...cmp, op: "EQ" }, negated: false }]];
    if (TOTAL_FIELDS.has(cmp.field)) return [[{ cmp: { ...cmp, op: cmp.op === "GTE" ? "LT" : "GT" }, negated: false }]];
    return [[l]];
  }
  if (l.negated && TOTAL_FIELDS.has(cmp.field)) {
    if (cmp.op === "EQ") return [[{ cmp: { ...cmp, op: "NE" }, negated: false }]];
    if (cmp.op === "NE") return [[{ cmp: { ...cmp, op: "EQ" }, negated: false }]];
    if (cmp.op === "GT" || cmp.op === "LT") {
      const other = cmp.op === "GT" ? "LT" : "GT";
      return [[{ cmp: { ...cmp, op: other }, negated: false }], [{ cmp: { ...cmp, op: "EQ" }, negated: false }]];
    }
  }
  if (!l.negated && cmp.op === "IN" && cmp.values.length > MAX_IN_VALUES) {
    // IN batched by 1,000: one sub-query per block, merged afterwards.
    const out: Conjunction[] = [];
    for (let i = 0; i < cmp.values.length; i += MAX_IN_VALUES) out.push([{ cmp: { ...cmp, values: cmp.values.slice(i, i + MAX_IN_VALUES) }, negated: false }]);
    if (out.length > MAX_SUBQUERIES) throw new FilterTooComplexError(out.length);
    return out;
  }
  return [[l]];
}

export interface PlannedQuery {
  query: ArticleQuery;
  /** Literals the builder cannot express; applied to its rows afterwards. */
  residual: Literal[];
}

/** Builds the ERP query for one conjunction: native literals in the builder, the rest residual. */
export function planConjunction(conj: Conjunction): PlannedQuery {
  const query = new ArticleQuery();
  const residual: Literal[] = [];
  for (const l of conj) {
    const { cmp } = l;
    if (l.negated) {
      residual.push(l);
      continue;
    }
    if (cmp.field.startsWith("attr:")) {
      const key = cmp.field.slice(5);
      query.existsAttribute((q) => {
        q.eq("key", key);
        if (cmp.op === "IN") q.in("value", cmp.values);
        else if (cmp.op !== "EXISTS") addScalar(q, "value", cmp.op, cmp.value);
      });
      continue;
    }
    const f = cmp.field as ArticleField;
    if (cmp.op === "IN") query.in(f, cmp.values);
    else if (cmp.op !== "EXISTS") addScalar(query, f, cmp.op, cmp.value);
  }
  return { query, residual };
}

function addScalar<F extends string>(q: { eq(f: F, v: string | number): unknown; ne(f: F, v: string | number): unknown; gt(f: F, v: string | number): unknown; lt(f: F, v: string | number): unknown; like(f: F, v: string): unknown }, f: F, op: string, v: string | number): void {
  if (op === "EQ") q.eq(f, v);
  else if (op === "NE") q.ne(f, v);
  else if (op === "GT") q.gt(f, v);
  else if (op === "LT") q.lt(f, v);
  else if (op === "LIKE") q.like(f, String(v));
  else throw new Error(`unreachable op ${op}`);
}

export function residualHolds(residual: Literal[], article: ErpArticle, attributes: ErpAttribute[]): boolean {
  return residual.every((l) => evaluateFilter(l.cmp, article, attributes) !== l.negated);
}

export const needsAttributes = (residual: Literal[]) => residual.some((l) => l.cmp.field.startsWith("attr:"));

/** Plans a descriptor: one ERP query per DNF conjunction (a single one without OR). */
export function planDescriptor(d: QueryDescriptor): PlannedQuery[] {
  const conjunctions = d.filter ? toDnf(d.filter) : [[]];
  return conjunctions.map(planConjunction);
}

/** Merged results: deduplicated by article id, sorted (articleId breaks ties), paginated. */
export function mergeResults(batches: ErpArticle[][], d: QueryDescriptor): ErpArticle[] {
  const byId = new Map<string, ErpArticle>();
  for (const b of batches) for (const a of b) byId.set(a.articleId, a);
  const sorted = [...byId.values()].sort((x, y) => {
    for (const s of d.sort) {
      const a = x[s.field as keyof ErpArticle] ?? "";
      const b = y[s.field as keyof ErpArticle] ?? "";
      const c = typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b), "de");
      if (c !== 0) return s.direction === "asc" ? c : -c;
    }
    return x.articleId < y.articleId ? -1 : x.articleId > y.articleId ? 1 : 0;
  });
  return sorted.slice(d.pagination.offset, d.pagination.offset + d.pagination.limit);
}
