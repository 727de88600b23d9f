import { z } from "zod";

/**
 * Query descriptors (ADR-023): serializable filter trees with AND / OR / NOT over article fields
 * and attributes (`attr:<key>`), plus sort and pagination. They cross the tunnel as JSON and
 * are translated to the ERP's own query builder by the connector, or to SQL by the edge.
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

