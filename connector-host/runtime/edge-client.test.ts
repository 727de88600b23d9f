import { afterEach, describe, expect, it } from "vitest";
import { parseJsonBytes } from "../../proto/tunnel.ts";
import { tempErp } from "../test/helpers.ts";
import { TestEdge, errorOf, resultOf } from "../test/test-edge.ts";
import { parseConnectorConfig } from "./config.ts";
import { type RunningConnector, startConnector } from "./connector.ts";
import { silentLogger } from "./log.ts";

const TOKEN = "b2x_ct_acme_0123456789abcdef_" + "a".repeat(64);
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function setup(opts: { allowed?: string[]; articles?: number; connectorId?: string; edge?: TestEdge; db?: string } = {}) {
  const edge = opts.edge ?? (await TestEdge.start(TOKEN));
  if (!opts.edge) stops.push(() => edge.stop());
  const db = opts.db ?? tempErp({ articles: opts.articles ?? 300, loginMs: 5 }).path;
  const config = parseConnectorConfig({
    tenantId: "acme",
    connectorId: opts.connectorId ?? "werk-1",
    edgeUrl: edge.url,
    businessUnits: ["01"],
    allowedOperations: opts.allowed ?? ["erp.*", "pim.*", "sys.*"],
    erp: { database: db, keepAliveMs: 60_000 },
    heartbeatMs: 100,
    reconnect: { minDelayMs: 20, maxDelayMs: 200 },
    healthPort: 0,
    drainTimeoutMs: 5_000,
  });
  const connector = await startConnector(config, TOKEN, silentLogger);
  stops.push(() => connector.stop());
  await edge.waitForHellos(1);
  await waitUntil(() => connector.client.status.state === "open");
  return { edge, connector, db };
}

async function waitUntil(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("connector tunnel client", () => {
  it("dials out, announces itself, applies the welcome config and heartbeats with metrics", async () => {
    const { edge, connector } = await setup({ allowed: ["erp.prices", "erp.stock", "sys.*"] });
    const hello = edge.hellos[0]!.body;
    expect(hello.case).toBe("hello");
    if (hello.case !== "hello") return;
    expect(hello.value).toMatchObject({ connectorId: "werk-1", businessUnits: ["01"], protocolVersion: 1 });
    expect(hello.value.capabilities.sort()).toEqual(["erp.prices", "erp.stock", "sys.ping"]);
    expect(connector.client.status.configVersion).toBe(3);
    expect(connector.client.appliedConfig).toEqual({ cache: { pricesTtlSeconds: 60 } });
    await waitUntil(() => edge.heartbeats.length >= 2);
    const hb = edge.heartbeats[0]!.body;
    if (hb.case !== "heartbeat") throw new Error("not a heartbeat");
    expect(hb.value.configVersion).toBe(3);
    expect(Object.keys(hb.value.metrics)).toEqual(expect.arrayContaining(["queueDepth", "sessions", "calls", "errors"]));
  });

  it("serves allowed calls and refuses the rest: deny by default", async () => {
    const { edge, connector } = await setup({ allowed: ["erp.prices"] });
    const ok = await edge.call("erp.prices", { customerId: "K10001", items: [{ articleId: "1000001", quantity: 10 }] }).done;
    expect((resultOf(ok.last) as { prices: unknown[] }).prices).toHaveLength(1);
    const refused = await edge.call("erp.order.create", { externalRef: "ref-00000001", customerId: "K10001", lines: [{ articleId: "1000001", quantity: 1 }] }).done;
    expect(errorOf(refused.last)?.code).toBe("forbidden_operation");
    const unknown = await edge.call("erp.drop_tables", {}).done;
    expect(errorOf(unknown.last)?.code).toBe("unknown_operation");
    expect(connector.client.status.callsRefused).toBe(2);
  });

  it("names the wrong field of a bad payload", async () => {
    const { edge } = await setup();
    const bad = await edge.call("erp.prices", { customerId: "K10001", items: [{ articleId: "1000001", quantity: -1 }] }).done;
    expect(errorOf(bad.last)).toMatchObject({ code: "bad_request" });
    expect(errorOf(bad.last)?.message).toContain("items.0.quantity");
  });

  it("answers malformed and unknown frames with an error frame and keeps serving", async () => {
    const { edge, connector } = await setup();
    edge.sendRaw(new Uint8Array([0xff, 0xff, 0xff, 0x01, 0x02]));
    edge.sendRaw("text is not a frame");
    edge.send({ case: "stream_chunk" as never, value: {} as never }, 9n);
    await waitUntil(() => edge.errors.length >= 2);
    expect(edge.errors.map((e) => errorOf(e)?.code)).toContain("bad_frame");
    const ping = await edge.call("sys.ping", {}).done;
    expect(resultOf(ping.last)).toMatchObject({ pong: true });
    expect(connector.client.status.badFrames).toBeGreaterThanOrEqual(2);
  });

  it("streams change batches only as fast as the edge grants credit", async () => {
    const { edge } = await setup({ articles: 1000 });
    let received = 0;
    const { callId, done } = edge.call("pim.changes", { entity: "articles", after: 0, batchSize: 100 }, { initialCredit: 2, onChunk: () => received++ });
    await waitUntil(() => received === 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toBe(2); // no credit, no more chunks
    for (let granted = 2; granted < 6; granted += 2) {
      edge.send({ case: "credit", value: { chunks: 2 } }, callId);
      await waitUntil(() => received === granted + 2);
    }
    edge.send({ case: "credit", value: { chunks: 1_000 } }, callId);
    const { last, frames } = await done;
    expect(last.body.case).toBe("streamEnd");
    const chunks = frames.filter((f) => f.body.case === "streamChunk");
    const rows = chunks.flatMap((f) => (f.body.case === "streamChunk" ? (parseJsonBytes(f.body.value.payloadJson) as { rowversion: number }[]) : []));
    expect(rows.map((r) => r.rowversion)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    // Every chunk stays small (the edge validates a chunk in one go while live calls wait).
    for (const f of chunks) if (f.body.case === "streamChunk") expect(f.body.value.payloadJson.byteLength).toBeLessThanOrEqual(64 * 1024);
  });

  it("bounds a stream by the silence between chunks, not by its whole length", async () => {
    const { edge } = await setup({ articles: 1000 });
    // One chunk per credit, a credit every 50 ms for 10 chunks: ~0.5 s, longer than the 300 ms deadline.
    let received = 0;
    const flowing = edge.call("pim.changes", { entity: "articles", after: 800, batchSize: 20 }, { initialCredit: 1, deadlineMs: 300, onChunk: () => received++ });
    const started = Date.now();
    const feeder = setInterval(() => edge.send({ case: "credit", value: { chunks: 1 } }, flowing.callId), 50);
    const { last } = await flowing.done;
    clearInterval(feeder);
    expect(last.body.case).toBe("streamEnd");
    expect(received).toBe(10);
    expect(Date.now() - started).toBeGreaterThan(300);
    // No credit after the first chunk: 300 ms of silence cancels the stream.
    const stalled = edge.call("pim.changes", { entity: "articles", after: 0, batchSize: 20 }, { initialCredit: 1, deadlineMs: 300 });
    const end = await stalled.done;
    expect(end.last.body.case).toBe("error");
  });

  it("reconnects after the edge drops the socket; in-flight calls end, none hang", async () => {
    const { edge, connector, db } = await setup();
    const { ErpDatabase } = await import("../simulator/store.ts");
    const erp = ErpDatabase.open(db);
    erp.setFaults({ perCallMs: 300 });
    erp.close();
    const slow = edge.call("erp.stock", { articleIds: ["1000001"] });
    await waitUntil(() => connector.client.status.inFlight === 1);
    edge.dropAll();
    await slow.done; // the edge fails its own pending call at once
    await edge.waitForHellos(2);
    await waitUntil(() => connector.client.status.state === "open");
    await waitUntil(() => connector.client.status.inFlight === 0, 2_000);
    expect(connector.client.status.reconnects).toBeGreaterThanOrEqual(1);
    const after = await edge.call("sys.ping", {}).done;
    expect(resultOf(after.last)).toMatchObject({ pong: true });
  });

  it("drops a tunnel the edge stopped answering on (half-open) after 3 heartbeat intervals, and dials again", async () => {
    const edge = await TestEdge.start(TOKEN);
    stops.push(() => edge.stop());
    edge.heartbeatIntervalMs = 100;
    const { connector } = await setup({ edge });
    // Answered heartbeats keep the tunnel: no drop over many intervals.
    await new Promise((r) => setTimeout(r, 600));
    expect(connector.client.status.silentDrops).toBe(0);
    expect(edge.hellos).toHaveLength(1);
    edge.answerHeartbeats = false;
    await edge.waitForHellos(2);
    expect(connector.client.status.silentDrops).toBe(1);
    await waitUntil(() => connector.client.status.state === "open");
  });

  it("drains in-flight calls on stop and closes with going-away", async () => {
    const { edge, connector, db } = await setup();
    const { ErpDatabase } = await import("../simulator/store.ts");
    const erp = ErpDatabase.open(db);
    erp.setFaults({ perCallMs: 200 });
    erp.close();
    const slow = edge.call("erp.stock", { articleIds: ["1000001"] });
    await waitUntil(() => connector.client.status.inFlight === 1);
    await connector.stop();
    const { last } = await slow.done;
    expect(last.body.case).toBe("result");
    await waitUntil(() => edge.closes.length > 0);
    expect(edge.closes.at(-1)?.code).toBe(1001);
  });

  it("reports health on 127.0.0.1 for the service manager", async () => {
    const { connector, edge } = await setup();
    const res = await fetch(`http://127.0.0.1:${connector.healthPort}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ healthy: true, connectorId: "werk-1", tunnel: { state: "open" } });
    await edge.stop();
    await waitUntil(() => connector.client.status.state !== "open");
    expect((await fetch(`http://127.0.0.1:${connector.healthPort}/health`)).status).toBe(503);
  });

  it("runs replicas side by side, each with its own id and ERP sessions", async () => {
    const first = await setup({ connectorId: "werk-1" });
    const second = await setup({ connectorId: "werk-2", edge: first.edge, db: first.db });
    await first.edge.waitForHellos(2);
    const ids = first.edge.hellos.map((h) => (h.body.case === "hello" ? h.body.value.connectorId : "")).sort();
    expect(ids).toEqual(["werk-1", "werk-2"]);
    expect(second.connector.provider).not.toBe(first.connector.provider);
  });
});

describe("connector configuration", () => {
  it("names the field that is wrong", () => {
    expect(() => parseConnectorConfig({ tenantId: "acme", connectorId: "x", edgeUrl: "ftp://nope", businessUnits: [], erp: { database: "x.db" } })).toThrow(/edgeUrl[\s\S]*businessUnits/);
    expect(() => parseConnectorConfig({ tenantId: "acme", connectorId: "x", edgeUrl: "https://edge", businessUnits: ["01"], allowedOperations: ["erp.everything"], erp: { database: "x.db" } })).toThrow(/allowedOperations\.0/);
  });
});

export type { RunningConnector };
