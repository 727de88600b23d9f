import { z } from "zod";
import type { Provider, TenantContext } from "../providers/contracts.ts";
import { queryDescriptorSchema } from "../providers/descriptor.ts";
import { SYNC_ENTITIES } from "../simulator/types.ts";
import { ConnectorError } from "./errors.ts";

/**
 * Every operation the edge can ask for: its payload schema (validated here, whatever the edge
 * sent), whether it streams, whether repeating it is harmless, and how the provider runs it.
 */
const id = z.string().min(1).max(64);
const customerId = z.string().min(1).max(64);
const items = z.array(z.object({ articleId: id, quantity: z.number().positive().max(1e9) }).strict()).max(10_000);

interface UnaryOp<S extends z.ZodType> {
  kind: "unary";
  schema: S;
  /** Safe to send again after a dropped connection (reads; creates carry an idempotent key). */
  idempotent: boolean;
  run(p: Provider, ctx: TenantContext, payload: z.output<S>): Promise<unknown>;
}
interface StreamOp<S extends z.ZodType> {
  kind: "stream";
  schema: S;
  idempotent: boolean;
  run(p: Provider, ctx: TenantContext, payload: z.output<S>): AsyncIterable<unknown[]>;
  /** Sent with the stream end (e.g. the change horizon the stream reached). */
  summary?(p: Provider, ctx: TenantContext, payload: z.output<S>): Promise<unknown>;
}
type Op = UnaryOp<z.ZodType> | StreamOp<z.ZodType>;

const need = <K extends keyof Provider>(p: Provider, k: K): NonNullable<Provider[K]> => {
  const fn = p[k];
  if (!fn) throw new ConnectorError("unsupported_operation", `provider ${p.info.name} does not implement ${String(k)}`);
  return (fn as (...a: unknown[]) => unknown).bind(p) as NonNullable<Provider[K]>;
};

const unary = <S extends z.ZodType>(schema: S, idempotent: boolean, run: UnaryOp<S>["run"]): Op => ({ kind: "unary", schema, idempotent, run }) as Op;
const stream = <S extends z.ZodType>(schema: S, run: StreamOp<S>["run"], summary?: StreamOp<S>["summary"]): Op => ({ kind: "stream", schema, idempotent: true, run, ...(summary && { summary }) }) as Op;

export const OPERATIONS = {
  "sys.ping": unary(z.object({}).strict().prefault({}), true, async () => ({ pong: true, at: new Date().toISOString() })),
  "erp.prices": unary(z.object({ customerId, items }).strict(), true, (p, ctx, x) => need(p, "getPrices")(ctx, x)),
  "erp.stock": unary(z.object({ articleIds: z.array(id).max(10_000) }).strict(), true, (p, ctx, x) => need(p, "getStock")(ctx, x.articleIds)),
  "erp.customer": unary(z.object({ customerId }).strict(), true, (p, ctx, x) => need(p, "getCustomer")(ctx, x.customerId)),
  "erp.order.get": unary(
    z.object({ orderNo: z.string().max(64).optional(), externalRef: z.string().max(128).optional() }).strict().refine((x) => x.orderNo || x.externalRef, "orderNo or externalRef is required"),
    true,
    (p, ctx, x) => need(p, "getOrder")(ctx, x),
  ),
  "erp.orders.list": unary(z.object({ customerId, limit: z.int().min(1).max(1000).default(50) }).strict(), true, (p, ctx, x) => need(p, "listOrders")(ctx, x.customerId, x.limit)),
  "erp.order.create": unary(
    z
      .object({
        externalRef: z.string().min(8).max(128),
        customerId,
        lines: z.array(z.object({ articleId: id, quantity: z.number().positive().max(1e9) }).strict()).min(1).max(1000),
        deliveryAddress: z.record(z.string().max(64), z.string().max(500)).default({}),
        customerReference: z.string().max(200).nullable().optional(),
      })
      .strict(),
    true, // the ERP returns the existing order for a repeated external reference
    (p, ctx, x) => need(p, "createOrder")(ctx, x),
  ),
  "crm.contact": unary(z.object({ customerId }).strict(), true, (p, ctx, x) => need(p, "getContact")(ctx, x.customerId)),
  "pim.article": unary(z.object({ articleId: id }).strict(), true, (p, ctx, x) => need(p, "getProductDetails")(ctx, x.articleId)),
  "pim.horizon": unary(z.object({}).strict().prefault({}), true, async (p, ctx) => ({ horizon: await need(p, "changeHorizon")(ctx), articles: await need(p, "articleCount")(ctx) })),
  "pim.categories": unary(z.object({}).strict().prefault({}), true, (p, ctx) => need(p, "getCategories")(ctx)),
  "pim.articles.query": stream(queryDescriptorSchema, (p, ctx, d) => need(p, "streamCatalog")(ctx, d)),
  "pim.changes": stream(
    z
      .object({
        entity: z.enum(SYNC_ENTITIES), after: z.number().int().min(0).default(0), batchSize: z.int().min(1).max(10_000).default(1000),
        until: z.number().int().min(0).optional(), withAttributes: z.boolean().default(false),
      })
      .strict(),
    (p, ctx, x) => need(p, "streamChanges")(ctx, x.entity, x.after, x.batchSize, x.until, x.withAttributes),
    // The horizon is read before the stream ends, so everything at or below it was streamed.
    async (p, ctx) => ({ horizon: await need(p, "changeHorizon")(ctx) }),
  ),
} satisfies Record<string, Op>;

export type OperationName = keyof typeof OPERATIONS;
export const OPERATION_NAMES = Object.keys(OPERATIONS) as [OperationName, ...OperationName[]];

export function operation(name: string): Op | undefined {
  return Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name as OperationName] : undefined;
}
