import type { SocketAttachment } from "./attachment.ts";

/**
 * A connector that has said nothing for this many heartbeat intervals is taken for dead. A
 * socket can stay open with nobody behind it (half-open: a NAT or firewall forgot the flow, the
 * host lost power): no FIN or RST ever comes, so only silence tells.
 */
export const SILENT_INTERVALS = 2;

/** When the connector last showed it is there: its last heartbeat, else its connect. */
export const lastSign = (att: SocketAttachment): number => att.lastHeartbeat ?? att.connectedAt;

/** The moment after which this connector counts as dead unless it heartbeats again. */
export const silentDeadline = (att: SocketAttachment, intervalMs: number): number => lastSign(att) + SILENT_INTERVALS * intervalMs;

export interface LivenessVerdict<S> {
  /** Sockets silent past their deadline. */
  dead: S[];
  /** When the next socket's deadline passes (undefined: nothing left to watch). */
  nextCheckAt: number | undefined;
}

/** Splits open sockets into the dead and the earliest deadline of the living. */
export function judgeLiveness<S>(sockets: { socket: S; att: SocketAttachment }[], intervalMs: number, now: number): LivenessVerdict<S> {
  const dead: S[] = [];
  let nextCheckAt: number | undefined;
  for (const { socket, att } of sockets) {
    const deadline = silentDeadline(att, intervalMs);
    if (now > deadline) dead.push(socket);
    else nextCheckAt = Math.min(nextCheckAt ?? Number.POSITIVE_INFINITY, deadline + 1);
  }
  return { dead, nextCheckAt };
}
