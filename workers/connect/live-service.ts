import type { ServiceImpl } from "@connectrpc/connect";
import type { Context } from "hono";
import { ItemStatus, LiveService, Source } from "../../proto/gen/b2x/storefront/v1/live_pb.ts";
import { AppError } from "../errors.ts";
import { live, tenantSession } from "../lib/live.ts";
import { parseWith } from "../lib/validate.ts";
import { verifyCustomer } from "../middleware/customer-auth.ts";
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

/** The same live services as REST, for one request's tenant (and customer). */
function liveService(c: Context<AppEnv>): ServiceImpl<typeof LiveService> {
  return {
    getPrices: (req) =>
      guard(async () => {
        const { items } = parseWith(pricesBody, { items: req.items.map((i) => ({ articleId: i.articleId, quantity: i.quantity || 1 })) }, "request");
        const customerId = await verifyCustomer(c);
        const { stub, ref } = tenantSession(c);
        const answers = (await live(() => stub.prices(ref, c.var.requestId, customerId, items))) as (Answer & Record<string, unknown>)[];
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
        const answers = (await live(() => stub.stock(ref, c.var.requestId, articleIds))) as (Answer & { warehouses?: { warehouseId: string; name: string; quantity: number }[]; total?: number })[];
        return { items: articleIds.map((id, k) => ({ articleId: id, ...meta(answers[k]!), warehouses: answers[k]!.warehouses ?? [], total: answers[k]!.total ?? 0 })) };
      }),
    getCustomer: () =>
      guard(async () => {
        const customerId = await verifyCustomer(c);
        const { stub, ref } = tenantSession(c);
        const x = (await live(() => stub.customer(ref, c.var.requestId, customerId))) as Record<string, unknown>;
        return { customerId, name: String(x.name ?? ""), priceGroup: String(x.priceGroup ?? ""), discountPercent: Number(x.discountPercent ?? 0), blocked: Boolean(x.blocked), currency: String(x.currency ?? ""), paymentTerms: String(x.paymentTerms ?? "") };
      }),
    getOrderStatus: (req) =>
      guard(async () => {
        if (!req.orderId || req.orderId.length > 128) throw new AppError(400, "bad_request", "order_id is required (at most 128 characters)");
        const customerId = await verifyCustomer(c);
        const { stub, ref } = tenantSession(c);
        const o = (await live(() => stub.order(ref, c.var.requestId, customerId, { orderNo: req.orderId }))) as Record<string, unknown>;
        return { orderNo: String(o.orderNo ?? ""), status: String(o.status ?? ""), rejectReason: String(o.rejectReason ?? ""), total: Number(o.total ?? 0), createdAt: String(o.createdAt ?? ""), updatedAt: String(o.updatedAt ?? "") };
      }),
  };
}

/** `POST /b2x.storefront.v1.LiveService/<Method>` (Connect protocol, JSON or binary). */
export const liveConnectRoutes = connectService(LiveService, liveService);
