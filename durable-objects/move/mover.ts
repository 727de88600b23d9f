import type { Logger } from "../../workers/lib/log.ts";
import type { AlarmSchedule } from "../alarms.ts";
import { MoveGate, type MoveState } from "./gate.ts";
import type { SnapshotPart } from "./snapshot-schema.ts";
import { exportSnapshot, importPart, pendingSummary, resetCarried } from "./snapshot.ts";

/** Close code that tells a connector "reconnect now": the router sends it to the tenant's new ring. */
export const MOVED_CLOSE_CODE = 4010;
/** How long a drain waits for queued orders to reach the ERP before reporting what is left. */
const DRAIN_DELIVERY_BUDGET_MS = 20_000;

export interface MoverDeps {
  storage: DurableObjectStorage;
  alarms: AlarmSchedule;
  /** Sends queued orders now (if a connector is online) and flushes order audit events. */
  deliverPending: () => Promise<void>;
  sockets: () => WebSocket[];
  /** Closes every connector socket with this code (their pending calls fail over or fail now). */
  closeSockets: (code: number, reason: string) => number;
  log: () => Logger;
}

export type DrainReport = MoveState & ReturnType<typeof pendingSummary>;

/**
 * Moving a tenant between rings, on its TenantSession. Source: `drain` (stop taking writes, try
 * to deliver the outbox), `exportState` (everything that must survive), `complete` (after the
 * router points at the new ring: refuse everything, close connector sockets so they reconnect
 * through the router, stop the alarm work that is now the target's). Target: `importState`
 * (part by part), `finishImport` (open, arm the alarm so queued orders and a running sync go on).
 */
export class TenantMover {
  readonly gate: MoveGate;

  constructor(private readonly d: MoverDeps) {
    this.gate = new MoveGate(d.storage.sql);
  }

  private get sql(): SqlStorage {
    return this.d.storage.sql;
  }

  async drain(to: string): Promise<DrainReport> {
    const current = this.gate.state();
    if (current.phase === "moved") throw new MoveError(`the tenant already moved to '${current.to}'`);
    const state = this.gate.set("draining", to);
    this.d.log()("warn", "tenant draining for a ring move", { to });
    await Promise.race([this.d.deliverPending(), new Promise((r) => setTimeout(r, DRAIN_DELIVERY_BUDGET_MS))]);
    return { ...state, ...pendingSummary(exportSnapshot(this.sql)) };
  }

  /** Whether this object holds anything a ring switch without a move would strand. */
  holdsState(): boolean {
    const n = (table: string) => this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${table}`).one().n;
    return n("order_outbox") + n("idempotency_keys") + n("order_audit") + n("sync_active") + this.d.sockets().length > 0;
  }

  exportState(): Required<SnapshotPart> & { state: MoveState } {
    const state = this.gate.state();
    if (state.phase === "open") throw new MoveError("drain the tenant before exporting its state");
    return { ...exportSnapshot(this.sql), state };
  }

  /** Writes one part; the first part (`reset`) replaces whatever this object held before. */
  importState(part: SnapshotPart, reset: boolean): ReturnType<typeof importPart> {
    if (this.gate.state().phase === "draining") throw new MoveError("this object is draining its own tenant; it cannot import");
    return this.d.storage.transactionSync(() => {
      if (reset) resetCarried(this.sql);
      return importPart(this.sql, part);
    });
  }

  /** The target takes over: open for traffic, alarm armed for queued orders and a running sync. */
  async finishImport(): Promise<MoveState> {
    const state = this.gate.set("open", null);
    const now = Date.now();
    if (this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM order_outbox WHERE status = 'pending'`).one().n > 0) await this.d.alarms.set("orders", now + 500);
    if (this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM order_audit`).one().n > 0) await this.d.alarms.setEarliest("orders", now + 500);
    if (this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM sync_active`).one().n > 0) await this.d.alarms.set("sync", now + 1_000);
    this.d.log()("info", "tenant state imported from another ring");
    return state;
  }

  /** The source lets go: sockets closed (connectors reconnect via the router), its alarm work ends. */
  async complete(): Promise<MoveState & { socketsClosed: number }> {
    const current = this.gate.state();
    if (current.phase === "open") throw new MoveError("drain the tenant before completing its move");
    const state = this.gate.set("moved", current.to);
    // The target owns pending orders, audit events and the sync run now; this copy must not act on them.
    this.sql.exec(`DELETE FROM order_audit`);
    this.sql.exec(`DELETE FROM sync_active`);
    await this.d.alarms.clear("orders");
    await this.d.alarms.clear("sync");
    const socketsClosed = this.d.closeSockets(MOVED_CLOSE_CODE, `tenant moved to the '${state.to}' ring; reconnect`);
    this.d.log()("warn", "tenant moved away; connectors told to reconnect", { to: state.to, socketsClosed });
    return { ...state, socketsClosed };
  }

  /** Back to normal on the source (a move given up before `complete`). */
  cancel(): MoveState {
    if (this.gate.state().phase === "moved") throw new MoveError("the move is complete; move the tenant back instead");
    return this.gate.set("open", null);
  }
}

/** A move step asked in the wrong phase (mapped to 409 by the Worker). */
export class MoveError extends Error {
  override readonly name = "MoveError";
}
