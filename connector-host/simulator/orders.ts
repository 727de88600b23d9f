import { ErpError } from "./errors.ts";
import type { ErpDatabase } from "./store.ts";
import type { ErpOrder, ErpOrderLine, ErpOrderStatus } from "./types.ts";

export interface CreateOrderRequest {
  /** The caller's idempotent reference: a second create with it returns the first order. */
  externalRef: string;
  customerId: string;
  businessUnit: string;
  lines: { articleId: string; quantity: number }[];
  deliveryAddress: Record<string, string>;
  customerReference?: string | null;
}

interface OrderRow {
  order_no: string | null;
  external_ref: string;
  customer_id: string;
  business_unit: string;
  status: ErpOrderStatus;
  reject_reason: string | null;
  data: string;
  created_at: string;
  updated_at: string;
}

const toOrder = (r: OrderRow): ErpOrder => {
  const d = JSON.parse(r.data) as Pick<ErpOrder, "lines" | "deliveryAddress" | "customerReference" | "total">;
  return {
    orderNo: r.order_no ?? "",
    externalRef: r.external_ref,
    customerId: r.customer_id,
    businessUnit: r.business_unit,
    status: r.status,
    rejectReason: r.reject_reason,
    ...d,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
};

const NEXT_STATUS: Partial<Record<ErpOrderStatus, ErpOrderStatus>> = { created: "in_progress", in_progress: "shipped", shipped: "delivered" };

/** The ERP's order book: external references are unique, rejections are final and stored. */
export class OrderBook {
  constructor(private readonly erp: ErpDatabase) {}

  byRef(externalRef: string): ErpOrder | null {
    const r = this.erp.sql.prepare("SELECT * FROM orders WHERE external_ref = ?").get(externalRef) as OrderRow | undefined;
    return r ? toOrder(r) : null;
  }

  byNumber(orderNo: string): ErpOrder | null {
    const r = this.erp.sql.prepare("SELECT * FROM orders WHERE order_no = ?").get(orderNo) as OrderRow | undefined;
    return r ? toOrder(r) : null;
  }

  ofCustomer(customerId: string, limit = 100): ErpOrder[] {
    const rows = this.erp.sql.prepare("SELECT * FROM orders WHERE customer_id = ? ORDER BY id DESC LIMIT ?").all(customerId, limit) as unknown as OrderRow[];
    return rows.map(toOrder);
  }

  count(): number {
    return Number((this.erp.sql.prepare("SELECT count(*) AS n FROM orders WHERE status <> 'rejected'").get() as { n: number }).n);
  }

  /**
   * Creates the order, or returns the existing one for the same external reference. A blocked
   * customer or an unknown article is a rejection: stored, so a retry gets the same answer.
   */
  create(req: CreateOrderRequest): { order: ErpOrder; created: boolean } {
    if (req.lines.length === 0) throw new ErpError("invalid_order", "an order needs at least one line");
    return this.erp.transaction(() => {
      const existing = this.byRef(req.externalRef);
      if (existing) return { order: existing, created: false };
      const now = new Date().toISOString();
      const customer = this.erp.customer(req.customerId);
      let reject: string | null = null;
      const lines: ErpOrderLine[] = [];
      if (!customer) reject = `unknown customer ${req.customerId}`;
      else if (customer.blocked) reject = `customer ${req.customerId} is blocked (Liefersperre)`;
      else {
        for (const line of req.lines) {
          const price = this.erp.price(customer, line.articleId, line.quantity);
          if (!price) {
            reject = `unknown article ${line.articleId}`;
            break;
          }
          lines.push({ articleId: line.articleId, quantity: line.quantity, unitPrice: price.unitPrice });
        }
      }
      const total = Math.round(lines.reduce((a, l) => a + l.unitPrice * l.quantity, 0) * 100) / 100;
      const orderNo = reject ? null : this.nextOrderNo();
      const data = JSON.stringify({ lines, deliveryAddress: req.deliveryAddress, customerReference: req.customerReference ?? null, total });
      this.erp.sql
        .prepare(`INSERT INTO orders (order_no, external_ref, customer_id, business_unit, status, reject_reason, data, created_at, updated_at, rowversion)
                  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(orderNo, req.externalRef, req.customerId, req.businessUnit, reject ? "rejected" : "created", reject, data, now, now, this.erp.nextRowversion());
      return { order: this.byRef(req.externalRef)!, created: true };
    });
  }

  private nextOrderNo(): string {
    const row = this.erp.sql.prepare("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'next_order' RETURNING value").get() as { value: number | string };
    return `AU-${new Date().getUTCFullYear()}-${String(Number(row.value) - 1).padStart(6, "0")}`;
  }

  /** Moves up to `n` open orders one status further (created -> in_progress -> shipped -> delivered). */
  advance(n: number): string[] {
    return this.erp.transaction(() => {
      const rows = this.erp.sql.prepare("SELECT order_no, status FROM orders WHERE status IN ('created', 'in_progress', 'shipped') ORDER BY updated_at, id LIMIT ?").all(n) as { order_no: string; status: ErpOrderStatus }[];
      const now = new Date().toISOString();
      for (const r of rows) {
        this.erp.sql.prepare("UPDATE orders SET status = ?, updated_at = ?, rowversion = ? WHERE order_no = ?").run(NEXT_STATUS[r.status]!, now, this.erp.nextRowversion(), r.order_no);
      }
      return rows.map((r) => r.order_no);
    });
  }
}
