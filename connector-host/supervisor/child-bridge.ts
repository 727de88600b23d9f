import type { EdgeClient } from "../runtime/edge-client.ts";
import type { Logger } from "../runtime/log.ts";
import { type ChildMessage, supervisorMessageSchema } from "./ipc.ts";

/**
 * The connector's side of the supervisor channel, active only when the process was started by
 * the supervisor (it has an IPC channel): tells it what the edge says, and sends the
 * supervisor's update reports to the edge as events.
 */
export function bridgeToSupervisor(client: EdgeClient, version: string, log: Logger): void {
  const send = process.send?.bind(process);
  if (!send) return;
  const tell = (m: ChildMessage) => {
    try {
      send(m);
    } catch (err) {
      log("warn", "supervisor channel closed", { error: String(err) });
    }
  };
  client.listener = {
    welcomed: (desiredVersion) => tell({ type: "ready", version, desiredVersion }),
    heartbeatAcknowledged: (desiredVersion) => tell({ type: "heartbeat", desiredVersion }),
  };
  process.on("message", (raw: unknown) => {
    const parsed = supervisorMessageSchema.safeParse(raw);
    if (!parsed.success) {
      log("warn", "unreadable message from the supervisor", { error: parsed.error.message.slice(0, 200) });
      return;
    }
    const m = parsed.data;
    const ok = client.sendEvent(m.kind, m.payload);
    tell({ type: "event-sent", id: m.id, ok });
  });
  // The supervisor going away must not keep this process alive or kill it: the tunnel stays.
  process.channel?.unref();
}
