/** The parts of a TenantSession that need to be woken by its alarm. */
export type AlarmOwner = "sync" | "orders" | "liveness";
const OWNERS: readonly AlarmOwner[] = ["sync", "orders", "liveness"];

/**
 * A Durable Object has exactly one alarm, and more than one part needs it (the sync run's
 * watchdog, order delivery with its backoff, the connectors' liveness check). Each part records in SQLite when it wants to be
 * woken; the storage alarm is kept at the earliest of those times, and the alarm handler wakes
 * every part whose time has come. Writing a want never moves another part's time, so none
 * can starve or cancel another.
 */
export class AlarmSchedule {
  /** What the storage alarm was last set to by this instance; undefined = not known. */
  private armedAt: number | null | undefined;

  constructor(private readonly storage: DurableObjectStorage) {
    storage.sql.exec(`CREATE TABLE IF NOT EXISTS alarm_wants (owner TEXT PRIMARY KEY, at INTEGER NOT NULL)`);
  }

  /** Wakes `owner` at `at` (replacing its earlier want). */
  async set(owner: AlarmOwner, at: number): Promise<void> {
    this.storage.sql.exec(`INSERT INTO alarm_wants (owner, at) VALUES (?, ?) ON CONFLICT (owner) DO UPDATE SET at = excluded.at`, owner, Math.round(at));
    await this.arm();
  }

  /** Wakes `owner` at `at` unless it already wants to be woken earlier. */
  async setEarliest(owner: AlarmOwner, at: number): Promise<void> {
    const current = this.wantOf(owner);
    if (current !== undefined && current <= at) return;
    await this.set(owner, at);
  }

  async clear(owner: AlarmOwner): Promise<void> {
    this.storage.sql.exec(`DELETE FROM alarm_wants WHERE owner = ?`, owner);
    await this.arm();
  }

  wantOf(owner: AlarmOwner): number | undefined {
    return this.storage.sql.exec<{ at: number }>(`SELECT at FROM alarm_wants WHERE owner = ?`, owner).toArray()[0]?.at;
  }

  /**
   * Called when the alarm fires: the owners whose time has come, with their wants removed (each
   * re-arms as it needs). An alarm set before this schedule existed has no wants: it belonged
   * to the sync watchdog, so the sync runner is woken (it does nothing without an active run).
   */
  takeDue(now: number): AlarmOwner[] {
    this.armedAt = undefined; // the firing alarm is spent
    const rows = this.storage.sql.exec<{ owner: string; at: number }>(`SELECT owner, at FROM alarm_wants`).toArray();
    if (rows.length === 0) return ["sync"];
    const due = rows.filter((r) => r.at <= now).map((r) => r.owner).filter((o): o is AlarmOwner => (OWNERS as readonly string[]).includes(o));
    for (const owner of due) this.storage.sql.exec(`DELETE FROM alarm_wants WHERE owner = ?`, owner);
    return due;
  }

  /** Sets the storage alarm to the earliest want, or deletes it when nobody wants one. */
  async arm(): Promise<void> {
    if (this.armedAt === undefined) this.armedAt = await this.storage.getAlarm();
    // Read after the await and noted before the write, so interleaved calls agree.
    const next = this.storage.sql.exec<{ at: number | null }>(`SELECT min(at) AS at FROM alarm_wants`).one().at;
    if (next === this.armedAt) return;
    this.armedAt = next;
    if (next === null) await this.storage.deleteAlarm();
    else await this.storage.setAlarm(next);
  }
}
