import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FrameBodyInit, Priority } from "../../../proto/tunnel.ts";
import { recordScenario } from "../../support/scenario-log.ts";
import { adminHttp } from "../client.ts";
import { cleanupFixtures } from "../tenant-fixture.ts";
import { probe } from "./probe.ts";
import { RawTunnel } from "./raw-tunnel.ts";
import { type SecuredTenant, scaled, twoTenants, soakTimeout, recordFailures } from "./world.ts";

afterAll(cleanupFixtures);
recordFailures();

const RUNS = scaled(150, 1500);
const FUZZ_ID = "fuzz-1";
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const bytes = fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.jsonValue({ maxDepth: 3 }).map((v) => new TextEncoder().encode(JSON.stringify(v))));
const text = fc.string({ maxLength: 80 });

/** Frames the protocol can express but a connector must not send, or sends with wrong values. */
const wrongFrame: fc.Arbitrary<FrameBodyInit> = fc.oneof(
  // A second hello: other connector ids, versions, or a huge advertised concurrency (never "default" BU).
  fc.record({ connectorId: fc.oneof(fc.constant(FUZZ_ID), text), version: text, capabilities: fc.array(text, { maxLength: 5 }), businessUnits: fc.array(fc.constantFrom("fuzz-bu", "x"), { maxLength: 3 }), protocolVersion: fc.nat(), maxInFlightPerBusinessUnit: fc.nat() }).map((value) => ({ case: "hello" as const, value })),
  fc.record({ tenantId: text, epoch: u64, configVersion: fc.nat(), configJson: bytes, heartbeatIntervalMs: fc.nat(), desiredConnectorVersion: text }).map((value) => ({ case: "welcome" as const, value })),
  fc.record({ sentAtMs: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), metrics: fc.dictionary(text, fc.double(), { maxKeys: 20 }), configVersion: fc.nat() }).map((value) => ({ case: "heartbeat" as const, value })),
  fc.record({ operation: text, businessUnit: text, payloadJson: bytes, deadlineMs: fc.nat(), requestId: text, priority: fc.constantFrom(0, 1, 2, 7).map((p) => p as Priority /* 7: an enum value no version defines */), initialCredit: fc.nat() }).map((value) => ({ case: "call" as const, value })),
  fc.record({ payloadJson: bytes }).map((value) => ({ case: "result" as const, value })),
  fc.record({ seq: u64, rows: fc.nat(), payloadJson: bytes }).map((value) => ({ case: "streamChunk" as const, value })),
  fc.record({ totalRows: u64, summaryJson: bytes }).map((value) => ({ case: "streamEnd" as const, value })),
  fc.record({ batches: u64, rows: u64 }).map((value) => ({ case: "streamProgress" as const, value })),
  fc.record({ chunks: fc.nat() }).map((value) => ({ case: "credit" as const, value })),
  fc.record({ reason: text }).map((value) => ({ case: "cancel" as const, value })),
  fc.record({ code: text, message: text, retryable: fc.boolean() }).map((value) => ({ case: "error" as const, value })),
  fc.record({ kind: fc.oneof(fc.constantFrom("article.changed", "price.changed", "stock.changed", "order.changed"), text), payloadJson: bytes }).map((value) => ({ case: "event" as const, value })),
);

describe("security: fuzzed tunnel frames over a real WebSocket (fast-check)", () => {
  let a: SecuredTenant;
  let b: SecuredTenant;
  let token: string;
  let tunnel: RawTunnel | undefined;
  let reopened = 0;
  beforeAll(async () => {
    ({ a, b } = await twoTenants());
    token = await a.connectorToken(FUZZ_ID);
  }, 120_000);
  afterAll(() => tunnel?.close());

  /** The fuzz socket, said hello on; reopened when the edge closed it (allowed for a lying hello). */
  async function socket(): Promise<RawTunnel> {
    if (tunnel && !tunnel.closed) return tunnel;
    if (tunnel) reopened++;
    tunnel = await RawTunnel.open(token);
    tunnel.hello(FUZZ_ID, { businessUnits: ["fuzz-bu"] });
    expect(await tunnel.until((f) => f.body.case === "welcome"), "welcome after hello").toBeDefined();
    return tunnel;
  }

  /** The DO still reads this socket: a heartbeat is answered (or the socket was closed on purpose). */
  async function answered(t: RawTunnel): Promise<void> {
    const seen = t.frames.length;
    t.send(0n, { case: "heartbeat", value: { sentAtMs: BigInt(Date.now()), metrics: {}, configVersion: 0 } });
    const end = Date.now() + 10_000;
    while (!t.closed && !t.frames.slice(seen).some((f) => f.body.case === "heartbeat")) {
      expect(Date.now() < end, "the edge stopped answering heartbeats on this socket").toBe(true);
      await new Promise((r) => setTimeout(r, 5));
    }
    if (t.closed) expect([1000, 1009, 4000, 4003, 4004], `closed with ${t.closed.code} ${t.closed.reason}`).toContain(t.closed.code);
  }

  /** Real price calls keep answering the ERP's values while the fuzzing runs. */
  function backgroundTraffic(): { stop: () => Promise<{ n: number; failures: string[] }> } {
    let running = true;
    const failures: string[] = [];
    let n = 0;
    const expected = a.erp.price(a.erp.customer(a.customer)!, "1000002", 4)!.unitPrice;
    const loop = (async () => {
      while (running) {
        const res = await probe("/v1/prices", { token: a.apiKey, customer: a.customerTokenValue, json: { items: [{ articleId: "1000002", quantity: 4 }] } });
        n++;
        if (res.status !== 200 || res.json.items[0].unitPrice !== expected) failures.push(`${res.status} ${res.text.slice(0, 200)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    return { stop: async () => ((running = false), await loop, { n, failures }) };
  }

  async function afterwards(): Promise<void> {
    expect((await probe("/v1/health")).status).toBe(200);
    const presence = await adminHttp(`/tenants/${a.tenantId}/connectors`);
    expect(presence.body.connectors.find((c: { connectorId: string }) => c.connectorId === "werk-1")?.connected).toBe(true);
    const other = await adminHttp(`/tenants/${b.tenantId}/connectors`);
    expect(other.body.connectors.map((c: { connectorId: string }) => c.connectorId)).toEqual(["werk-1"]);
  }

  it("arbitrary bytes and text messages: the socket, the tenant and its live calls keep working", { timeout: soakTimeout(180_000) }, async () => {
    const traffic = backgroundTraffic();
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 4, arbitrary: fc.uint8Array({ maxLength: 2048 }) }, { weight: 1, arbitrary: fc.string({ maxLength: 200 }) }), async (message) => {
        const t = await socket();
        t.sendRaw(message);
        sent++;
        await answered(t);
      }),
      { numRuns: RUNS },
    );
    const { n, failures } = await traffic.stop();
    expect(failures).toEqual([]);
    expect(n).toBeGreaterThan(0);
    await afterwards();
    recordScenario({ suite: "security", name: "fuzzed tunnel frames: arbitrary bytes", passed: true, badInputs: sent, figures: { liveCallsDuring: n, socketsReopened: reopened } });
  });

  it("structurally valid but wrong frames (edge-only frames, unknown call ids, lying hellos, junk payloads)", { timeout: soakTimeout(180_000) }, async () => {
    const traffic = backgroundTraffic();
    let sent = 0;
    const before = reopened;
    await fc.assert(
      fc.asyncProperty(u64, u64, wrongFrame, async (callId, epoch, body) => {
        const t = await socket();
        t.send(callId, body, epoch);
        sent++;
        await answered(t);
      }),
      { numRuns: RUNS },
    );
    const { n, failures } = await traffic.stop();
    expect(failures).toEqual([]);
    await afterwards();
    recordScenario({ suite: "security", name: "fuzzed tunnel frames: valid protobuf, wrong frames", passed: true, badInputs: sent, figures: { liveCallsDuring: n, socketsReopened: reopened - before } });
  });
});
