import { z } from "zod";
import type { OrderRequest } from "../../schema/order-request.ts";

/** What the gateway knows about an order's delivery to the ERP. */
export type OutboxStatus = "pending" | "created" | "rejected";

/** What a storefront sees: queued until the ERP has it, then the ERP's own status. */
export type OrderStatus = "queued" | "rejected" | "created" | "in_progress" | "shipped" | "delivered" | "cancelled";

/**
 * The answer to a create, and what an idempotency key stores. The HTTP status follows from
 * `status` alone (created 201, queued 202, rejected 422), so a replay renders the same response.
 */
export interface OrderReceipt {
  /** The gateway's order id (the outbox id); the ERP's external reference is derived from it. */
  orderId: string;
  status: "created" | "queued" | "rejected";
  /** The ERP's order number (Auftragsnummer), once the ERP has the order. */
  erpOrderNo: string | null;
  rejectReason: string | null;
  total: number | null;
  customerReference: string | null;
  createdAt: string;
  /** The request that placed the order (replays keep it). */
  requestId: string;
}

export interface OrderLineView {
  articleId: string;
  quantity: number;
  unitPrice?: number;
}

/** `GET /v1/orders/:orderId`. */
export interface OrderView {
  /** Null for an ERP order the gateway did not place. */
  orderId: string | null;
  /** One of OrderStatus, or a status of the ERP's this gateway does not know (passed through). */
  status: string;
  erpOrderNo: string | null;
  rejectReason: string | null;
  customerReference: string | null;
  lines: OrderLineView[];
  deliveryAddress: Record<string, string>;
  total: number | null;
  createdAt: string;
  updatedAt: string;
  /** Delivery attempts so far (gateway orders). */
  attempts?: number;
  /** Why the last attempt did not reach the ERP, while queued. */
  lastError?: string | null;
  /** Where the status comes from: the ERP (live or cached), or the gateway's outbox. */
  source: "erp" | "gateway";
  /** True when the ERP could not be asked and the status is the last one the gateway saw. */
  stale: boolean;
}

/** The outbox row of one order. */
export interface OutboxOrder {
  orderId: string;
  seq: number;
  customerId: string;
  requestId: string;
  request: OrderRequest;
  status: OutboxStatus;
  erpOrderNo: string | null;
  erpStatus: string | null;
  rejectReason: string | null;
  total: number | null;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

/** The ERP's order as the connector returns it (validated: the tunnel is a trust boundary). */
export const erpOrderSchema = z.looseObject({
  orderNo: z.string(),
  externalRef: z.string(),
  customerId: z.string(),
  // Any string: a status this gateway does not know yet must not make the answer unreadable.
  status: z.string().min(1).max(64),
  rejectReason: z.string().nullable().optional(),
  lines: z.array(z.looseObject({ articleId: z.string(), quantity: z.number(), unitPrice: z.number().optional() })).optional(),
  deliveryAddress: z.record(z.string(), z.string()).optional(),
  customerReference: z.string().nullable().optional(),
  total: z.number().optional(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
});
export type ErpOrder = z.output<typeof erpOrderSchema>;

/** `erp.order.create` answers the order, and whether this call created it or found it. */
export const createResultSchema = z.looseObject({ order: erpOrderSchema, created: z.boolean() });
