import type { TenantConfig } from "../../schema/tenant-config.ts";
import type { Logger } from "../../workers/lib/log.ts";
import type { AlarmSchedule } from "../alarms.ts";
import type { CallDispatcher } from "../calls/dispatcher.ts";
import { type LiveError, isTransient, toLiveError } from "../errors.ts";
import type { OrderAuditTrail } from "./audit-trail.ts";
import { type Outbox, externalRefOf } from "./outbox.ts";
import { type OutboxOrder, createResultSchema } from "./types.ts";

export type AttemptOutcome =
  | { outcome: "created"; erpOrderNo: string }
  | { outcome: "rejected"; reason: string }
  | { outcome: "retry"; error: LiveError };

/** A backlog attempt may wait behind other calls in the DO's queue: more room than a live call. */
const BACKGROUND_DEADLINE_MS = 30_000;
/** After an attempt's deadline, this long before the alarm assumes the object died during it. */
export const WATCHDOG_GRACE_MS = 2_000;
/** Creates in flight at once while draining: keeps the connector busy without flooding the queue. */
const WINDOW = 16;
/** The alarm never fires more often than this for orders (no busy loop on a stuck row). */
const MIN_ALARM_GAP_MS = 500;
/** Audit events that could not be written are tried again this much later. */
const AUDIT_RETRY_MS = 10_000;
const MAX_BACKOFF_MS = 5 * 60_000;

/** 1 s, 2 s, 4 s ... capped at 5 min, with jitter so a backlog does not retry in lockstep. */
export function retryDelayMs(attempts: number, random = Math.random()): number {
  const base = Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** Math.min(20, Math.max(0, attempts - 1)));
  return Math.round(base * (0.75 + random * 0.5));
}

/** What `erp.order.create` is asked: the external reference makes a resend find the first. */
function createPayload(o: OutboxOrder) {
  return {
    externalRef: externalRefOf(o.orderId),
    customerId: o.customerId,
    lines: o.request.lines,
    deliveryAddress: o.request.deliveryAddress,
    customerReference: o.request.customerReference ?? null,
  };
}

export interface DeliveryDeps {
  dispatcher: CallDispatcher;
  outbox: Outbox;
  audit: OrderAuditTrail;
  alarms: AlarmSchedule;
  config: () => TenantConfig;
  log: () => Logger;
}

/**
 * Sends outbox orders to the ERP (`erp.order.create` through the dispatcher) and records what
 * came back: created (the ERP's number), rejected (final: the ERP said no, or the call can never
 * succeed), or retry later (the ERP could not be asked, or said "try again") with backoff. Every
 * send may be a resend: the ERP deduplicates by external reference, which makes at-least-once
 * delivery exactly one ERP order.
 */
export class OrderDelivery {
  /** Orders with an attempt running in this instance (lost on restart, which the watchdog covers). */
  private readonly sending = new Set<string>();
  private draining: Promise<void> | undefined;
  private rerun: { force: boolean } | undefined;

  constructor(private readonly d: DeliveryDeps) {}

  isSending(orderId: string): boolean {
    return this.sending.has(orderId);
  }

  /**
   * Marks an order as being sent before its first attempt starts, so a drain that runs in
   * between (a connector's hello) does not send it a second time; `attempt` releases it.
   */
  hold(orderId: string): void {
    this.sending.add(orderId);
  }

  release(orderId: string): void {
    this.sending.delete(orderId);
  }

  get busy(): boolean {
    return this.draining !== undefined;
  }

  /** One attempt; never throws for what the ERP or the tunnel did. */
  async attempt(order: OutboxOrder, priority: "live" | "background"): Promise<AttemptOutcome> {
    const { dispatcher, outbox, audit, config } = this.d;
    const cfg = config();
    const deadlineMs = priority === "live" ? cfg.live.callDeadlineMs : Math.max(cfg.live.callDeadlineMs, BACKGROUND_DEADLINE_MS);
    const attempt = order.attempts + 1;
    const ids = { customerId: order.customerId, orderId: order.orderId, requestId: order.requestId };
    this.sending.add(order.orderId);
    outbox.attempting(order.orderId, Date.now(), Date.now() + deadlineMs + WATCHDOG_GRACE_MS);
    try {
      let raw: unknown;
      try {
        raw = await dispatcher.submit({
          operation: "erp.order.create", businessUnit: cfg.erpProvider.businessUnits[0]!, payload: () => createPayload(order),
          // Safe to resend to another replica: the external reference makes a repeat harmless.
          safe: true, priority, deadlineMs, requestId: order.requestId,
        });
      } catch (err) {
        const error = toLiveError(err);
        if (isTransient(error)) return this.retryLater(order, attempt, error);
        // Refused before the ERP could act on it (not allowed, malformed, a final ERP error).
        const reason = `${error.code}: ${error.message}`;
        outbox.markRejected(order.orderId, reason, Date.now());
        audit.record("order.rejected", { ...ids, details: { reason, attempts: attempt } });
        this.d.log()("warn", "order refused", { ...ids, attempts: attempt, reason });
        return { outcome: "rejected", reason };
      }
      const parsed = createResultSchema.safeParse(raw);
      const o = parsed.success ? parsed.data.order : undefined;
      const alreadyInErp = parsed.success && !parsed.data.created;
      if (!o || o.customerId !== order.customerId || o.externalRef !== externalRefOf(order.orderId) || (o.status !== "rejected" && !o.orderNo)) {
        // Never guess "rejected" from an answer we cannot read: the ERP may hold the order. A resend
        // returns the same order, so retrying is safe; ops see the error on the row and in logs.
        this.d.log()("error", "unreadable answer to erp.order.create", { ...ids, answer: JSON.stringify(raw).slice(0, 300) });
        return this.retryLater(order, attempt, { code: "erp_error", message: "the connector's answer to erp.order.create could not be read" });
      }
      if (o.status === "rejected") {
        const reason = o.rejectReason || "rejected by the ERP";
        outbox.markRejected(order.orderId, reason, Date.now());
        audit.record("order.rejected", { ...ids, details: { reason, attempts: attempt } });
        return { outcome: "rejected", reason };
      }
      outbox.markCreated(order.orderId, o.orderNo, o.status, o.total ?? null, Date.now());
      audit.record("order.created", { ...ids, details: { erpOrderNo: o.orderNo, attempts: attempt, alreadyInErp } });
      return { outcome: "created", erpOrderNo: o.orderNo };
    } finally {
      this.sending.delete(order.orderId);
    }
  }

  private retryLater(order: OutboxOrder, attempt: number, error: LiveError): AttemptOutcome {
    this.d.outbox.markRetry(order.orderId, `${error.code}: ${error.message}`, Date.now() + retryDelayMs(attempt), Date.now());
    if (attempt === 1) this.d.audit.record("order.queued", { customerId: order.customerId, orderId: order.orderId, requestId: order.requestId, details: { reason: error.code } });
    return { outcome: "retry", error };
  }

  /**
   * Delivers pending orders: those due (alarm), or all of them (`force`: a connector just came
   * online). One drain at a time; a kick during a drain makes it go round once more.
   */
  kick(force: boolean): Promise<void> {
    if (this.draining) {
      this.rerun = { force: force || (this.rerun?.force ?? false) };
      return this.draining;
    }
    this.draining = (async () => {
      let next: { force: boolean } | undefined = { force };
      while (next) {
        this.rerun = undefined;
        await this.pass(next.force);
        next = this.rerun;
      }
      await this.schedule();
    })()
      .catch((err: unknown) => this.d.log()("error", "order delivery failed", { error: String(err) }))
      .finally(() => {
        this.draining = undefined;
      });
    return this.draining;
  }

  /** One pass over the pending orders, oldest first, each at most once; stops when offline. */
  private async pass(force: boolean): Promise<void> {
    const { outbox, alarms } = this.d;
    // If this object dies mid-pass, the alarm resumes the work.
    await alarms.setEarliest("orders", Date.now() + BACKGROUND_DEADLINE_MS + WATCHDOG_GRACE_MS);
    let afterSeq = 0;
    let offline = false;
    const inflight = new Set<Promise<void>>();
    while (!offline) {
      const rows = outbox.pending(afterSeq, WINDOW * 4, force ? undefined : Date.now());
      if (rows.length === 0) break;
      for (const row of rows) {
        afterSeq = row.seq;
        while (inflight.size >= WINDOW) await Promise.race(inflight);
        if (offline) break;
        // Re-read: a row fetched earlier may have been delivered meanwhile (by a live request).
        const fresh = outbox.get(row.orderId);
        if (!fresh || fresh.status !== "pending" || this.sending.has(fresh.orderId)) continue;
        const p: Promise<void> = this.attempt(fresh, "background")
          .then((a) => {
            if (a.outcome === "retry" && a.error.code === "connector_offline") offline = true;
          })
          .catch((err: unknown) => this.d.log()("error", "order attempt failed", { orderId: fresh.orderId, error: String(err) }))
          .finally(() => inflight.delete(p));
        inflight.add(p);
      }
    }
    await Promise.all(inflight);
  }

  /** Arms the alarm for the next due order (or unsent audit events), or clears it. */
  async schedule(): Promise<void> {
    const { outbox, audit, alarms } = this.d;
    const now = Date.now();
    const wants = [outbox.nextAttemptAt(), audit.backlog > 0 ? now + AUDIT_RETRY_MS : undefined].filter((t): t is number => t !== undefined);
    if (wants.length === 0) return alarms.clear("orders");
    await alarms.set("orders", Math.max(now + MIN_ALARM_GAP_MS, Math.min(...wants)));
  }
}
