import { sql } from "drizzle-orm";
import { connectors } from "../../schema/index.ts";
import { openDatabase } from "../../workers/db/client.ts";
import type { SocketAttachment } from "./attachment.ts";

export interface PresenceRow {
  connectorId: string;
  epoch: number;
  version: string;
  capabilities: string[];
  businessUnits: string[];
  connectedAt: number;
  lastHeartbeat: number | null;
  metrics: Record<string, number>;
  status: "online" | "offline";
}

/** Connector presence in the DO's SQLite (authoritative) and mirrored to Postgres for ops. */
export class Presence {
  constructor(private readonly sqlStore: SqlStorage) {
    sqlStore.exec(`CREATE TABLE IF NOT EXISTS presence (
      connector_id TEXT PRIMARY KEY, epoch INTEGER NOT NULL, version TEXT NOT NULL, capabilities TEXT NOT NULL,
      business_units TEXT NOT NULL, connected_at INTEGER NOT NULL, last_heartbeat INTEGER, metrics TEXT NOT NULL, status TEXT NOT NULL)`);
    sqlStore.exec(`CREATE TABLE IF NOT EXISTS epochs (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL)`);
  }

  /** Next fencing epoch: strictly increasing across connections and DO restarts. */
  nextEpoch(): number {
    return this.sqlStore.exec<{ value: number }>(`INSERT INTO epochs VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET value = value + 1 RETURNING value`).one().value;
  }

  online(att: SocketAttachment): void {
    const h = att.hello!;
    this.sqlStore.exec(
      `INSERT INTO presence VALUES (?, ?, ?, ?, ?, ?, NULL, '{}', 'online')
       ON CONFLICT (connector_id) DO UPDATE SET epoch = excluded.epoch, version = excluded.version, capabilities = excluded.capabilities,
         business_units = excluded.business_units, connected_at = excluded.connected_at, status = 'online'`,
      att.connectorId, att.epoch, h.version, JSON.stringify(h.capabilities), JSON.stringify(h.businessUnits), att.connectedAt,
    );
  }

  heartbeat(att: SocketAttachment, metrics: Record<string, number>): void {
    this.sqlStore.exec(`UPDATE presence SET last_heartbeat = ?, metrics = ? WHERE connector_id = ? AND epoch = ?`, att.lastHeartbeat ?? Date.now(), JSON.stringify(metrics), att.connectorId, att.epoch);
  }

  /** Marks a connector offline unless a newer connection of it is already online. */
  offline(connectorId: string, epoch: number): void {
    this.sqlStore.exec(`UPDATE presence SET status = 'offline' WHERE connector_id = ? AND epoch = ?`, connectorId, epoch);
  }

  list(): PresenceRow[] {
    return this.sqlStore
      .exec<{ connector_id: string; epoch: number; version: string; capabilities: string; business_units: string; connected_at: number; last_heartbeat: number | null; metrics: string; status: string }>(
        `SELECT * FROM presence ORDER BY connector_id`,
      )
      .toArray()
      .map((r) => ({
        connectorId: r.connector_id, epoch: r.epoch, version: r.version, capabilities: JSON.parse(r.capabilities), businessUnits: JSON.parse(r.business_units),
        connectedAt: r.connected_at, lastHeartbeat: r.last_heartbeat, metrics: JSON.parse(r.metrics), status: r.status as "online" | "offline",
      }));
  }
}

/** Mirrors one connector's presence into Postgres (best effort: ops visibility, not correctness). */
export async function mirrorPresence(env: Env, tenantId: string, row: PresenceRow): Promise<void> {
  const { db, pool } = openDatabase(env);
  try {
    const values = {
      tenantId, connectorId: row.connectorId, version: row.version, capabilities: row.capabilities, businessUnits: row.businessUnits,
      metrics: row.metrics, status: row.status, lastSeenAt: new Date(row.lastHeartbeat ?? row.connectedAt),
    };
    await db
      .insert(connectors)
      .values(values)
      .onConflictDoUpdate({
        target: [connectors.tenantId, connectors.connectorId],
        set: { version: values.version, capabilities: values.capabilities, businessUnits: values.businessUnits, metrics: values.metrics, status: values.status, lastSeenAt: sql`now()` },
      });
  } finally {
    await pool.end();
  }
}
