import { z } from "zod";

/**
 * Messages between the supervisor and the connector process it runs (Node IPC channel).
 * Child → supervisor: what the edge said (registered, heartbeat answered, desired version).
 * Supervisor → child: reports to send to the edge as `event` frames.
 */
export const childMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready"), version: z.string().max(64), desiredVersion: z.string().max(64) }),
  z.object({ type: z.literal("heartbeat"), desiredVersion: z.string().max(64) }),
  z.object({ type: z.literal("event-sent"), id: z.int(), ok: z.boolean() }),
]);
export type ChildMessage = z.output<typeof childMessageSchema>;

export const supervisorMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("event"), id: z.int(), kind: z.string().max(64), payload: z.record(z.string(), z.unknown()) }),
]);
export type SupervisorMessage = z.output<typeof supervisorMessageSchema>;
