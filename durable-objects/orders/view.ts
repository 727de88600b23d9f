import type { ErpOrder, OrderReceipt, OrderView, OutboxOrder } from "./types.ts";

const iso = (ms: number) => new Date(ms).toISOString();


/** The answer to a create, from the outbox row as it stands. */
export function receiptOf(o: OutboxOrder): OrderReceipt {
  return {
    orderId: o.orderId,
    status: o.status === "pending" ? "queued" : o.status,
    erpOrderNo: o.erpOrderNo,
    rejectReason: o.rejectReason,
    total: o.total,
    customerReference: o.request.customerReference ?? null,
    createdAt: iso(o.createdAt),
    requestId: o.requestId,
  };
}

/** An order as the gateway last saw it (queued, rejected, or created when the ERP cannot be asked). */
export function viewOfOutbox(o: OutboxOrder, stale: boolean): OrderView {
  return {
    orderId: o.orderId,
    status: o.status === "pending" ? "queued" : o.status === "rejected" ? "rejected" : (o.erpStatus ?? "created"),
    erpOrderNo: o.erpOrderNo,
    rejectReason: o.rejectReason,
    customerReference: o.request.customerReference ?? null,
    lines: o.request.lines,
    deliveryAddress: { ...o.request.deliveryAddress },
    total: o.total,
    createdAt: iso(o.createdAt),
    updatedAt: iso(o.updatedAt),
    attempts: o.attempts,
    ...(o.status === "pending" && { lastError: o.lastError }),
    source: "gateway",
    stale,
  };
}

/** An order as the ERP reports it, with the gateway's id and attempts when the gateway placed it. */
export function viewOfErp(e: ErpOrder, placed: OutboxOrder | undefined, orderId: string | null): OrderView {
  return {
    orderId: placed?.orderId ?? orderId,
    status: e.status,
    erpOrderNo: e.orderNo || null,
    rejectReason: e.rejectReason ?? null,
    customerReference: e.customerReference ?? placed?.request.customerReference ?? null,
    lines: e.lines?.map((l) => ({ articleId: l.articleId, quantity: l.quantity, ...(l.unitPrice !== undefined && { unitPrice: l.unitPrice }) })) ?? placed?.request.lines ?? [],
    deliveryAddress: e.deliveryAddress ?? { ...placed?.request.deliveryAddress },
    total: e.total ?? placed?.total ?? null,
    createdAt: e.createdAt ?? (placed ? iso(placed.createdAt) : ""),
    updatedAt: e.updatedAt ?? (placed ? iso(placed.updatedAt) : ""),
    ...(placed && { attempts: placed.attempts }),
    source: "erp",
    stale: false,
  };
}
