import type { OrderRequest } from "../../schema/order-request.ts";
import type { TenantConfig } from "../../schema/tenant-config.ts";
import type { Logger } from "../../workers/lib/log.ts";
import type { AlarmSchedule } from "../alarms.ts";
import type { CallDispatcher } from "../calls/dispatcher.ts";
import type { CallOrigin } from "../calls/origin.ts";
import { LiveCallError, toLiveError } from "../errors.ts";
import type { LiveServices } from "../live/services.ts";
import { OrderAuditTrail } from "./audit-trail.ts";
import { OrderDelivery, WATCHDOG_GRACE_MS } from "./delivery.ts";
import { type Claim, IdempotencyKeys, fingerprintOf } from "./idempotency.ts";
import { Outbox, newOrderId, orderIdOfExternalRef } from "./outbox.ts";
import { type OrderReceipt, type OrderView, erpOrderSchema } from "./types.ts";
import { receiptOf, viewOfErp, viewOfOutbox } from "./view.ts";

/** A create as the Worker hands it over: validated, with the customer from the token. */
export interface PlaceOrder {
  requestId: string;
  customerId: string;
  idempotencyKey: string;
  request: OrderRequest;
}

export interface Placed {
  receipt: OrderReceipt;
  /** True when this is the stored answer of an earlier request with the same key. */
  replayed: boolean;
}

/** Expired keys and long-finished orders are removed at most this often. */
const PRUNE_EVERY_MS = 3600_000;

export interface OrderServiceDeps {
  storage: DurableObjectStorage;
  env: Env;
  dispatcher: CallDispatcher;
  live: LiveServices;
  alarms: AlarmSchedule;
  config: () => TenantConfig;
  tenantId: () => string | undefined;
  log: () => Logger;
}

/**
 * Orders of the tenant: idempotent creation (key check, outbox write, first attempt while the
 * storefront waits), delivery of what is queued (alarm, connector coming online), status lookups
 * by the gateway's id or the ERP's number, and the order events of the audit log.
 */
export class OrderService {
  private readonly keys: IdempotencyKeys;
  private readonly outbox: Outbox;
  private readonly audit: OrderAuditTrail;
  private readonly delivery: OrderDelivery;
  /** Keys whose first request runs in this instance; a claimed key missing here lost its request. */
  private readonly running = new Set<string>();
  private lastPrune = 0;

  constructor(private readonly d: OrderServiceDeps) {
    const sql = d.storage.sql;
    this.keys = new IdempotencyKeys(sql);
    this.outbox = new Outbox(sql);
    this.audit = new OrderAuditTrail(sql, d.env, d.tenantId, d.log);
    this.delivery = new OrderDelivery({ dispatcher: d.dispatcher, outbox: this.outbox, audit: this.audit, alarms: d.alarms, config: d.config, log: d.log });
  }

  /**
   * Places an order once per idempotency key. The key is claimed and the order written to the
   * outbox in one synchronous SQLite transaction (the object runs one request at a time between
   * awaits, so two requests with one key cannot both claim it), and the alarm is armed before
   * anything is sent: from then on the order reaches the ERP even if this object dies.
   */
  async create(p: PlaceOrder): Promise<Placed> {
    const fingerprint = await fingerprintOf(p.request);
    const now = Date.now();
    const orderId = newOrderId(now);
    const watchdogAt = now + this.d.config().live.callDeadlineMs + WATCHDOG_GRACE_MS;
    const claim: Claim = this.d.storage.transactionSync(() => {
      const c = this.keys.claim(p.customerId, p.idempotencyKey, fingerprint, orderId, now);
      if (c.kind === "new") {
        this.outbox.add(orderId, p.customerId, p.requestId, p.request, now, watchdogAt);
        this.audit.record("order.accepted", { customerId: p.customerId, orderId, requestId: p.requestId, details: { lines: p.request.lines.length, customerReference: p.request.customerReference ?? null } });
      }
      return c;
    });
    if (claim.kind === "mismatch") throw new LiveCallError("idempotency_key_reused", "this Idempotency-Key was already used with a different order; use a new key for a new order");
    if (claim.kind === "replay") return { receipt: claim.receipt, replayed: true };
    if (claim.kind === "in_progress") return this.resume(p, claim.orderId);

    const running = `${p.customerId}\n${p.idempotencyKey}`;
    this.running.add(running);
    this.delivery.hold(orderId);
    try {
      await this.d.alarms.setEarliest("orders", watchdogAt);
      this.prune(now);
      await this.delivery.attempt(this.outbox.get(orderId)!, "live");
      const receipt = this.keys.complete(p.customerId, p.idempotencyKey, receiptOf(this.outbox.get(orderId)!));
      await this.delivery.schedule();
      return { receipt, replayed: false };
    } finally {
      this.delivery.release(orderId);
      this.running.delete(running);
    }
  }

  /**
   * A claimed key without a stored answer: its first request is still running here (409), or
   * it ran in an instance that died before answering. Then the order's state now is the answer
   * (stored, so every later replay is the same), and a queued order is sent at once.
   */
  private async resume(p: PlaceOrder, orderId: string): Promise<Placed> {
    if (this.running.has(`${p.customerId}\n${p.idempotencyKey}`)) {
      throw new LiveCallError("idempotency_conflict", "a request with this Idempotency-Key is still being processed; retry shortly", 1);
    }
    const order = this.outbox.get(orderId);
    if (!order) throw new LiveCallError("idempotency_conflict", "the order of this Idempotency-Key is not known (any more)");
    const receipt = this.keys.complete(p.customerId, p.idempotencyKey, receiptOf(order));
    if (order.status === "pending" && !this.delivery.isSending(orderId)) void this.delivery.kick(true);
    return { receipt, replayed: true };
  }

  /** The stored answer of a key, if any (when today's validation would refuse the request). */
  async storedAnswer(customerId: string, key: string, request: OrderRequest): Promise<Placed | undefined> {
    const seen = this.keys.peek(customerId, key, await fingerprintOf(request));
    return seen?.kind === "replay" ? { receipt: seen.receipt, replayed: true } : undefined;
  }

  /**
   * An order's status for its customer (anyone else gets not found). `orderId` is the gateway's
   * id, or an ERP order number (orders placed elsewhere, or before the gateway's id was known).
   * Queued and rejected orders are answered from the outbox; created ones from the ERP (through
   * the order-status cache), or from the outbox, marked stale, when the ERP cannot be asked.
   */
  async view(origin: CallOrigin, customerId: string, orderId: string): Promise<OrderView> {
    const gatewayId = orderId.startsWith("ord_");
    const placed = gatewayId ? this.outbox.get(orderId) : this.outbox.byErpOrderNo(orderId);
    if (placed && placed.customerId !== customerId) throw new LiveCallError("not_found", "order not found");
    if (gatewayId && !placed) throw new LiveCallError("not_found", "order not found");
    if (placed && placed.status !== "created") return viewOfOutbox(placed, false);
    let answer: unknown;
    try {
      answer = await this.d.live.order(origin, customerId, { orderNo: placed?.erpOrderNo ?? orderId });
    } catch (err) {
      // The gateway knows this order was created: when the ERP cannot (or will not) say more, the
      // last status the gateway saw is still the truth, marked stale.
      if (placed) {
        this.d.log()("info", "order status from the outbox: the ERP could not be asked", { orderId: placed.orderId, error: toLiveError(err).code });
        return viewOfOutbox(placed, true);
      }
      throw err;
    }
    const erp = erpOrderSchema.safeParse(answer);
    if (!erp.success) {
      if (placed) return viewOfOutbox(placed, true);
      throw new LiveCallError("erp_error", "the connector's order could not be read");
    }
    if (placed && placed.erpStatus !== erp.data.status) this.outbox.noteErpStatus(placed.orderId, erp.data.status);
    return viewOfErp(erp.data, placed, orderIdOfExternalRef(erp.data.externalRef) ?? null);
  }

  /** A connector said hello: whatever is queued goes now, not at its backoff time. */
  connectorOnline(): void {
    if (this.outbox.nextAttemptAt() !== undefined) void this.delivery.kick(true);
  }

  /** The alarm: due orders, unsent audit events, housekeeping. */
  async onAlarm(): Promise<void> {
    // Stays armed while the drain runs; the drain's end sets the real next time.
    await this.d.alarms.set("orders", Date.now() + 30_000 + WATCHDOG_GRACE_MS);
    this.prune(Date.now());
    void this.audit.flush();
    void this.delivery.kick(false);
  }

  /** Sends every queued order now (when a connector is online) and flushes audit events: a move's drain. */
  async deliverPending(): Promise<void> {
    if (this.outbox.nextAttemptAt() !== undefined) await this.delivery.kick(true);
    await this.audit.flush();
  }

  pendingCount(): number {
    return this.outbox.counts().pending;
  }

  private prune(now: number): void {
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    const keys = this.keys.prune(now);
    const orders = this.outbox.prune(now);
    if (keys + orders > 0) this.d.log()("info", "pruned order records", { idempotencyKeys: keys, finishedOrders: orders });
  }
}
