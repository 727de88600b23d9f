import { type SQL, sql } from "drizzle-orm";
import type { FilterNode } from "../../schema/query-descriptor.ts";
import { badRequest } from "../errors.ts";

/**
 * Compiles a filter tree (AND / OR / NOT over article fields and `attr:<key>`) to a SQL
 * condition. Every value is a bind parameter; field names come from a fixed map, so nothing a
 * client sends becomes SQL text. Comparisons never yield NULL (a missing value satisfies no
 * comparison, and NOT of it is true), matching `evaluateSearchFilter`.
 */
const COLUMNS = {
  name: sql`a.name`,
  description: sql`a.description`,
  brand: sql`a.brand`,
  ean: sql`a.ean`,
  articleNumber: sql`a.article_number`,
  manufacturerNumber: sql`a.manufacturer_number`,
} as const;
const NUMERIC = /^-?\d+(\.\d+)?$/;
export const MAX_FILTER_NODES = 200;

type Comparison = Exclude<FilterNode, { and: unknown } | { or: unknown } | { not: unknown }>;
const OPS: Record<string, string> = { EQ: "=", NE: "<>", GT: ">", GTE: ">=", LT: "<", LTE: "<=" };

/** `v op operand` for one text value: numeric when both look numeric, else case-insensitive. */
function compareText(v: SQL, op: string, operand: string | number): SQL {
  const o = String(operand);
  const sqlOp = sql.raw(OPS[op]!);
  if (NUMERIC.test(o)) {
    return sql`(CASE WHEN ${v} ~ '^-?[0-9]+(\\.[0-9]+)?$' THEN (${v})::numeric ${sqlOp} ${o}::numeric ELSE lower(${v}) COLLATE "C" ${sqlOp} lower(${o}) COLLATE "C" END)`;
  }
  return sql`(lower(${v}) COLLATE "C" ${sqlOp} lower(${o}) COLLATE "C")`;
}

function valueTest(v: SQL, c: Comparison): SQL {
  switch (c.op) {
    case "LIKE":
      return sql`(${v} ILIKE ${String(c.value)})`;
    case "IN":
      return sql`(${sql.join(c.values.map((x) => compareText(v, "EQ", x)), sql` OR `)})`;
    case "EXISTS":
      return sql`true`;
    default:
      return compareText(v, c.op, c.value);
  }
}

/** A Postgres text[] literal: every element quoted, so commas, braces and "NULL" stay text. */
const arrayLiteral = (values: string[]) => `{${values.map((v) => `"${v.replace(/["\\]/g, "\\$&")}"`).join(",")}}`;

/**
 * EQ / IN whose operands all compare as text: then a match is exactly "the lower-case value is
 * one of the lower-case operands", which the lower-case indexes on brand, categories, article
 * and manufacturer numbers can answer (a numeric operand may equal a differently written
 * number, "40.0", so it takes the general path).
 */
function textEquality(c: Comparison): SQL | undefined {
  if (c.op !== "EQ" && c.op !== "IN") return undefined;
  const operands = (c.op === "IN" ? c.values : [c.value]).map(String);
  if (operands.some((o) => NUMERIC.test(o))) return undefined;
  // One parameter however many values (an IN list may be longer than Postgres' 65,535
  // parameters), folded to a constant when planned, so the planner sees the values.
  return sql`lower_array(${arrayLiteral(operands)}::text[])`;
}

/** An attribute EQ / IN with more operands than this gets no full-text prefilter (two parameters each). */
const PREFILTER_OPERANDS = 20;

/**
 * For attribute equality on text: a condition that every matching article meets and the GIN
 * index on `search` answers, so an attribute filter alone ("Material is Edelstahl") is an index
 * lookup, not a pass over every article's attributes. An article's string attribute values are
 * in its document (weight C, jsonb_to_tsvector), and values equal in any letter case have the
 * same lexemes, so a match contains every lexeme of the operand. An operand with no lexeme (only
 * stop words or symbols) implies nothing: its `numnode(...) = 0` arm keeps the row. Both arms
 * are immutable functions of bind parameters, folded to constants when planned, so the planner
 * sees a plain full-text condition. Boolean values are not in the document, and numbers may be
 * written differently ("40.0"), so neither gets a prefilter; nor do long IN lists.
 */
function attributePrefilter(c: Comparison): SQL | undefined {
  if (c.op !== "EQ" && c.op !== "IN") return undefined;
  const operands = (c.op === "IN" ? c.values : [c.value]).map(String);
  if (operands.length > PREFILTER_OPERANDS || operands.some((o) => NUMERIC.test(o) || /^(true|false)$/i.test(o.trim()))) return undefined;
  const queries = operands.map((o) => sql`plainto_tsquery('german', ${o})`);
  const noLexeme = sql.join(queries.map((q) => sql`numnode(${q}) = 0`), sql` OR `);
  return sql`(${noLexeme} OR a.search @@ (${sql.join(queries, sql` || `)}))`;
}

function comparison(c: Comparison): SQL {
  const lowered = textEquality(c);
  if (lowered && c.field === "categoryId") return sql`(lower_array(a.category_ids) && ${lowered})`;
  if (lowered && Object.hasOwn(COLUMNS, c.field)) {
    const col = COLUMNS[c.field as keyof typeof COLUMNS];
    // Never NULL (a missing value matches nothing, and NOT of it is true), and still indexable.
    return sql`(${col} IS NOT NULL AND lower(${col}) = ANY(${lowered}))`;
  }
  if (c.field.startsWith("attr:")) {
    const key = c.field.slice(5);
    const exact = sql`EXISTS (SELECT 1 FROM jsonb_each_text(a.attributes) e WHERE e.key = ${key} AND ${valueTest(sql`e.value`, c)})`;
    const prefilter = attributePrefilter(c);
    return prefilter ? sql`(${prefilter} AND ${exact})` : exact;
  }
  if (c.op === "EXISTS") throw badRequest("Invalid filter", [{ path: "filter", message: `EXISTS applies to attributes (attr:<key>), not '${c.field}'` }]);
  if (c.field === "categoryId") return sql`EXISTS (SELECT 1 FROM unnest(a.category_ids) cat(v) WHERE ${valueTest(sql`cat.v`, c)})`;
  const col = COLUMNS[c.field as keyof typeof COLUMNS];
  if (!col) throw badRequest("Invalid filter", [{ path: "filter", message: `field '${c.field}' cannot be searched` }]);
  return sql`COALESCE(${valueTest(col, c)}, false)`;
}

export function compileFilter(node: FilterNode, budget = { nodes: 0 }): SQL {
  if (++budget.nodes > MAX_FILTER_NODES) throw badRequest("Invalid filter", [{ path: "filter", message: `more than ${MAX_FILTER_NODES} nodes` }]);
  if ("and" in node) return sql`(${sql.join(node.and.map((n) => compileFilter(n, budget)), sql` AND `)})`;
  if ("or" in node) return sql`(${sql.join(node.or.map((n) => compileFilter(n, budget)), sql` OR `)})`;
  if ("not" in node) return sql`(NOT ${compileFilter(node.not, budget)})`;
  return comparison(node);
}
