import { LiveCallError } from "../errors.ts";

/**
 * Where a tenant's move to another ring stands, as its TenantSession on the source ring sees it:
 * `open` (normal), `draining` (no new orders or sync runs; reads still served; the state is being
 * exported), `moved` (the target ring owns the tenant: everything is refused so that a request a
 * stale router sends here is retried and lands on the new ring).
 */
export type MovePhase = "open" | "draining" | "moved";

export interface MoveState {
  phase: MovePhase;
  /** The ring the tenant is moving to (draining, moved). */
  to: string | null;
  /** When the phase began (ms). */
  since: number | null;
}

/** Seconds a refused caller should wait: about the time a router takes to see the new ring. */
export const MOVE_RETRY_AFTER_S = 5;

/** The move state in the object's SQLite (it must survive eviction: a drained tenant stays drained). */
export class MoveGate {
  /** Read once per object and kept in step by set(), the only writer: every call asks. */
  private current: MoveState | undefined;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS move_state (id INTEGER PRIMARY KEY CHECK (id = 1), phase TEXT NOT NULL, target TEXT, since INTEGER)`);
  }

  state(): MoveState {
    if (this.current) return { ...this.current };
    const r = this.sql.exec<{ phase: string; target: string | null; since: number | null }>(`SELECT phase, target, since FROM move_state WHERE id = 1`).toArray()[0];
    this.current = r ? { phase: r.phase as MovePhase, to: r.target, since: r.since } : { phase: "open", to: null, since: null };
    return { ...this.current };
  }

  set(phase: MovePhase, to: string | null): MoveState {
    this.sql.exec(
      `INSERT INTO move_state (id, phase, target, since) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET phase = excluded.phase, target = excluded.target, since = excluded.since`,
      phase, to, Date.now(),
    );
    this.current = undefined;
    return this.state();
  }

  /** Writes (orders, sync runs, connector sockets) only while open; reads until the tenant has moved. */
  assertAccepts(kind: "read" | "write"): void {
    const { phase, to } = this.state();
    if (phase === "open" || (phase === "draining" && kind === "read")) return;
    throw new LiveCallError("tenant_moving", `this tenant is moving to the '${to}' ring; retry in a few seconds`, MOVE_RETRY_AFTER_S);
  }
}
