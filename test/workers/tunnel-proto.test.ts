import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { FrameSchema, Priority } from "../../proto/gen/b2x/tunnel/v1/tunnel_pb.ts";

describe("b2x.tunnel.v1 frames", () => {
  it("round-trips a call frame through the binary encoding inside workerd", () => {
    const frame = create(FrameSchema, {
      callId: 42n,
      epoch: 3n,
      body: {
        case: "call",
        value: { operation: "erp.prices", businessUnit: "01", payloadJson: new TextEncoder().encode('{"items":[]}'), deadlineMs: 5000, requestId: "req-1", priority: Priority.LIVE },
      },
    });
    const decoded = fromBinary(FrameSchema, toBinary(FrameSchema, frame));
    expect(decoded.callId).toBe(42n);
    expect(decoded.body.case).toBe("call");
    if (decoded.body.case !== "call") throw new Error("unreachable");
    expect(decoded.body.value.operation).toBe("erp.prices");
    expect(new TextDecoder().decode(decoded.body.value.payloadJson)).toBe('{"items":[]}');
  });

  it("ignores fields it does not know (forward compatibility)", () => {
    const known = toBinary(FrameSchema, create(FrameSchema, { callId: 7n, body: { case: "credit", value: { chunks: 4 } } }));
    // Append an unknown field 99 (varint 1): tag = (99 << 3) | 0 = 792 -> 0x98 0x06.
    const withUnknown = new Uint8Array([...known, 0x98, 0x06, 0x01]);
    const decoded = fromBinary(FrameSchema, withUnknown);
    expect(decoded.callId).toBe(7n);
    expect(decoded.body).toMatchObject({ case: "credit", value: { chunks: 4 } });
  });
});
