import type { SnapshotPart } from "../../durable-objects/move/snapshot-schema.ts";
import type { AdminClient } from "./admin-client.ts";
import { RolloutError } from "./errors.ts";
import type { Ring } from "./rings.ts";

/** Import requests stay well below the Worker's body limit (1 MiB by default). */
const PART_BYTES = 256 * 1024;

export interface MoveReport {
  tenantId: string;
  from: Ring;
  to: Ring;
  /** The admin calls, in order (printed; a dry run makes only the first, read-only one). */
  steps: string[];
  drained?: { pendingOrders: number; orders: number; idempotencyKeys: number; auditBacklog: number; syncRun: string | null };
  imported?: { outbox: number; idempotencyKeys: number; orderAudit: number; parts: number };
  socketsClosed?: number;
}

type Snapshot = Required<SnapshotPart>;

/** Splits a snapshot into import parts under PART_BYTES each (the first also carries sync run and epoch). */
export function importParts(s: Snapshot): SnapshotPart[] {
  const parts: SnapshotPart[] = [];
  let part: SnapshotPart = { outbox: [], idempotencyKeys: [], orderAudit: [], syncActive: s.syncActive, epoch: s.epoch };
  let size = 0;
  const add = <K extends "outbox" | "idempotencyKeys" | "orderAudit">(key: K, row: Snapshot[K][number]) => {
    const bytes = JSON.stringify(row).length;
    if (size > 0 && size + bytes > PART_BYTES) {
      parts.push(part);
      part = { outbox: [], idempotencyKeys: [], orderAudit: [] };
      size = 0;
    }
    (part[key] as Snapshot[K][number][]).push(row);
    size += bytes;
  };
  for (const r of s.outbox) add("outbox", r);
  for (const r of s.idempotencyKeys) add("idempotencyKeys", r);
  for (const r of s.orderAudit) add("orderAudit", r);
  parts.push(part);
  return parts;
}

/**
 * Moves a tenant to another ring without losing anything: drain the source (no new orders or
 * sync runs; queued orders delivered if a connector is online), export its state, import it into
 * the target's TenantSession, open the target, switch the ring (database + router KV), then let
 * the source go (connector sockets closed with a "reconnect" code: they come back through the
 * router to the new ring). A failure before the switch cancels the drain: the tenant stays where
 * it was, as it was. Running it again after any failure is safe (every step can repeat).
 */
export async function moveTenant(admin: AdminClient, tenantId: string, to: Ring, opts: { dryRun?: boolean; log?: (line: string) => void } = {}): Promise<MoveReport> {
  const log = opts.log ?? (() => {});
  const tenant = await admin.call<{ rolloutRing: Ring }>("GET", `/tenants/${tenantId}`);
  const from = tenant.rolloutRing;
  if (from === to) throw new RolloutError(`tenant '${tenantId}' is already in the '${to}' ring`);
  const t = `/tenants/${tenantId}`;
  const report: MoveReport = {
    tenantId, from, to,
    steps: [
      `POST ${t}/move/drain (ring ${from})`, `POST ${t}/move/export (ring ${from})`, `POST ${t}/move/import … (ring ${to})`,
      `POST ${t}/move/finish (ring ${to})`, `PATCH ${t} { rolloutRing: ${to} } (ring ${from}: database + router KV)`, `POST ${t}/move/complete (ring ${from})`,
    ],
  };
  if (opts.dryRun) return report;

  let switched = false;
  try {
    report.drained = await admin.call("POST", `${t}/move/drain`, { ring: from, body: { to } });
    log(`drained ${tenantId} in ${from}: ${report.drained!.pendingOrders} queued order(s) travel, ${report.drained!.idempotencyKeys} idempotency key(s)`);
    const snapshot = await admin.call<Snapshot>("POST", `${t}/move/export`, { ring: from });
    const parts = importParts(snapshot);
    const imported = { outbox: 0, idempotencyKeys: 0, orderAudit: 0, parts: parts.length };
    for (const [i, part] of parts.entries()) {
      const r = await admin.call<{ imported: { outbox: number; idempotencyKeys: number; orderAudit: number } }>("POST", `${t}/move/import`, { ring: to, body: { reset: i === 0, part } });
      imported.outbox += r.imported.outbox;
      imported.idempotencyKeys += r.imported.idempotencyKeys;
      imported.orderAudit += r.imported.orderAudit;
    }
    if (imported.outbox !== snapshot.outbox.length || imported.idempotencyKeys !== snapshot.idempotencyKeys.length) {
      throw new RolloutError(`import into ${to} took ${imported.outbox}/${snapshot.outbox.length} orders and ${imported.idempotencyKeys}/${snapshot.idempotencyKeys.length} keys`);
    }
    report.imported = imported;
    log(`imported into ${to}: ${imported.outbox} order(s), ${imported.idempotencyKeys} key(s) in ${parts.length} part(s)`);
    await admin.call("POST", `${t}/move/finish`, { ring: to });
    await admin.call("PATCH", t, { ring: from, body: { rolloutRing: to } });
    switched = true;
    log(`${tenantId} now routed to ${to}`);
  } catch (err) {
    if (!switched) {
      await admin.call("POST", `${t}/move/cancel`, { ring: from }).catch((e: unknown) => log(`could not cancel the drain in ${from}: ${String(e)}`));
      throw new RolloutError(`move of '${tenantId}' to '${to}' stopped before the switch; it stays in '${from}' as it was: ${err instanceof Error ? err.message : String(err)}`);
    }
    throw err;
  }
  const done = await admin.call<{ socketsClosed: number }>("POST", `${t}/move/complete`, { ring: from });
  report.socketsClosed = done.socketsClosed;
  log(`${from} let go of ${tenantId}: ${done.socketsClosed} connector socket(s) told to reconnect`);
  return report;
}
