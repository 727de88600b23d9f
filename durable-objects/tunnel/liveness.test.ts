import { describe, expect, it } from "vitest";
import { judgeLiveness, silentDeadline } from "./liveness.ts";

const att = (connectedAt: number, lastHeartbeat?: number) => ({ connectorId: "werk-1", epoch: 1, connectedAt, ...(lastHeartbeat !== undefined && { lastHeartbeat }) });

describe("connector liveness (half-open sockets)", () => {
  it("counts from the last heartbeat, else from the connect, and allows two intervals of silence", () => {
    expect(silentDeadline(att(1_000), 500)).toBe(2_000);
    expect(silentDeadline(att(1_000, 5_000), 500)).toBe(6_000);
  });

  it("declares dead only the sockets silent past their deadline and names the next check", () => {
    const sockets = [
      { socket: "quiet", att: att(0, 1_000) }, // deadline 3,000
      { socket: "fresh", att: att(0, 2_500) }, // deadline 4,500
      { socket: "new", att: att(2_000) }, // deadline 4,000
    ];
    expect(judgeLiveness(sockets, 1_000, 3_000)).toEqual({ dead: [], nextCheckAt: 3_001 });
    expect(judgeLiveness(sockets, 1_000, 3_001)).toEqual({ dead: ["quiet"], nextCheckAt: 4_001 });
    expect(judgeLiveness(sockets, 1_000, 5_000)).toEqual({ dead: ["quiet", "fresh", "new"], nextCheckAt: undefined });
    expect(judgeLiveness([], 1_000, 5_000)).toEqual({ dead: [], nextCheckAt: undefined });
  });
});
