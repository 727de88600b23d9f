import type { ServiceImpl } from "@connectrpc/connect";
import type { Context } from "hono";
import type { OrderView } from "../../durable-objects/orders/types.ts";
import { type CreateOrderRequest, ItemStatus, LiveService, Source } from "../../proto/gen/b2x/storefront/v1/live_pb.ts";
import { createOrderSchema } from "../../schema/order-request.ts";
import { live, tenantSession } from "../lib/live.ts";
import { idempotencyKeyOf, placeOrder } from "../lib/orders.ts";
import { parseWith } from "../lib/validate.ts";
import { verifyCustomer } from "../middleware/customer-auth.ts";
import { orderIdParams } from "../routes/orders.ts";
import { pricesBody, stockBody } from "../routes/live.ts";
import { connectService, guard } from "./mount.ts";
import type { AppEnv } from "../types.ts";

interface Answer {
  status: string;
  source?: string;
  stale?: boolean;
  ageSeconds?: number;
}
const status = (a: Answer) => (a.status === "ok" ? ItemStatus.OK : a.status === "not_found" ? ItemStatus.NOT_FOUND : ItemStatus.UNAVAILABLE);
const meta = (a: Answer) => ({ status: status(a), source: a.source === "erp" ? Source.ERP : a.source === "cache" ? Source.CACHE : Source.UNSPECIFIED, stale: a.stale ?? false, ageSeconds: a.ageSeconds ?? 0 });

/** Proto3 has no absent strings: empty ones are left out, so the REST schema validates the same. */
const present = (s: string) => (s === "" ? undefined : s);
function orderRequestOf(req: CreateOrderRequest): unknown {
  const a = req.deliveryAddress;
  return {
    lines: req.lines.map((l) => ({ articleId: l.articleId, quantity: l.quantity })),
    ...(a && {
      deliveryAddress: Object.fromEntries(
        Object.entries({ name: a.name, name2: a.name2, street: a.street, postalCode: a.postalCode, city: a.city, country: a.country, contact: a.contact, phone: a.phone }).filter(([, v]) => present(v) !== undefined),
      ),
    }),
    ...(present(req.customerReference) && { customerReference: req.customerReference }),
  };
}

/** The same live services as REST, for one request's tenant (and customer). */
function liveService(c: Context<AppEnv>): ServiceImpl<typeof LiveService> {
  return {
    getPrices: (req) =>
      guard(async () => {
        const { items } = parseWith(pricesBody, { items: req.items.map((i) => ({ articleId: i.articleId, quantity: i.quantity || 1 })) }, "request");
        const customerId = await verifyCustomer(c);
        const { stub, ref } = tenantSession(c);
        const answers = (await live(() => stub.prices(ref, c.var.origin, customerId, items))) as (Answer & Record<string, unknown>)[];
        return {
          customerId,
          items: items.map((i, k) => {
            const a = answers[k]!;
            return { articleId: i.articleId, quantity: i.quantity, ...meta(a), currency: String(a.currency ?? ""), listPrice: Number(a.listPrice ?? 0), unitPrice: Number(a.unitPrice ?? 0), agreement: Boolean(a.agreement), discountPercent: Number(a.discountPercent ?? 0), quantityBreaks: (a.quantityBreaks as { minQuantity: number; unitPrice: number }[] | undefined) ?? [] };
          }),
        };
      }),
    getStock: (req) =>
      guard(async () => {
        const { articleIds } = parseWith(stockBody, { articleIds: req.articleIds }, "request");
        const { stub, ref } = tenantSession(c);
        const answers = (await live(() => stub.stock(ref, c.var.origin, articleIds))) as (Answer & { warehouses?: { warehouseId: string; name: string; quantity: number }[]; total?: number })[];
        return { items: articleIds.map((id, k) => ({ articleId: id, ...meta(answers[k]!), warehouses: answers[k]!.warehouses ?? [], total: answers[k]!.total ?? 0 })) };
      }),
    getCustomer: () =>
      guard(async () => {
        const customerId = await verifyCustomer(c);
        const { stub, ref } = tenantSession(c);
        const x = (await live(() => stub.customer(ref, c.var.origin, customerId))) as Record<string, unknown>;
        return { customerId, name: String(x.name ?? ""), priceGroup: String(x.priceGroup ?? ""), discountPercent: Number(x.discountPercent ?? 0), blocked: Boolean(x.blocked), currency: String(x.currency ?? ""), paymentTerms: String(x.paymentTerms ?? "") };
      }),
    getOrderStatus: (req) =>
      guard(async () => {
        const { orderId } = parseWith(orderIdParams, { orderId: req.orderId }, "request");
        const customerId = await verifyCustomer(c);
        const { stub, ref } = tenantSession(c);
        const o: OrderView = await live(() => stub.order(ref, c.var.origin, customerId, orderId));
        return { orderId: o.orderId ?? "", orderNo: o.erpOrderNo ?? "", status: o.status, rejectReason: o.rejectReason ?? "", total: o.total ?? 0, createdAt: o.createdAt, updatedAt: o.updatedAt, stale: o.stale };
      }),
    // A rejection is an answer here (status "rejected"), not an error: the order id stays usable.
    createOrder: (req) =>
      guard(async () => {
        const customerId = await verifyCustomer(c);
        const key = idempotencyKeyOf(present(req.idempotencyKey) ?? c.req.header("idempotency-key"));
        const request = parseWith(createOrderSchema, orderRequestOf(req), "request");
        const { receipt, replayed } = await placeOrder(c, customerId, key, request);
        return {
          orderId: receipt.orderId, status: receipt.status, erpOrderNo: receipt.erpOrderNo ?? "", rejectReason: receipt.rejectReason ?? "", total: receipt.total ?? 0,
          customerReference: receipt.customerReference ?? "", createdAt: receipt.createdAt, replayed,
        };
      }),
  };
}

/** `POST /b2x.storefront.v1.LiveService/<Method>` (Connect protocol, JSON or binary). */
export const liveConnectRoutes = connectService(LiveService, liveService);
