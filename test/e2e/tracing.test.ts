import { readFileSync } from "node:fs";
import { afterEach, describe, expect, inject, it } from "vitest";
import { jsonLogger } from "../../connector-host/runtime/log.ts";
import { cleanupFixtures, liveTenant, waitUntil } from "./tenant-fixture.ts";

afterEach(cleanupFixtures);

type Line = Record<string, unknown>;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

/** The Worker's JSON log lines (wrangler dev output captured by the e2e global setup). */
function workerLines(): Line[] {
  return readFileSync(inject("workerLogFile"), "utf8")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Line];
      } catch {
        return [];
      }
    });
}

async function tenantWithCapturedConnector() {
  const t = await liveTenant();
  const connectorLines: Line[] = [];
  await t.startConnector("werk-1", {}, jsonLogger({ connectorId: "werk-1", tenantId: t.tenantId }, "debug", (l) => connectorLines.push(JSON.parse(l) as Line)));
  return { t, connectorLines, token: await t.customerToken("K10004") };
}

describe("one storefront request followed from the Worker into the ERP call", () => {
  it("continues the storefront's traceparent in the Worker's and the connector's logs, with the request id", async () => {
    const { t, connectorLines, token } = await tenantWithCapturedConnector();
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const parentId = "00f067aa0ba902b7";
    const requestId = `trace-test-${Date.now()}`;
    const res = await t.post("/v1/prices", { items: [{ articleId: "1000002", quantity: 3 }] }, token);
    expect(res.status).toBe(200);
    const traced = await fetch(`${inject("baseUrl")}/v1/prices`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.apiKey}`, "x-customer-token": token, "content-type": "application/json", traceparent: `00-${traceId}-${parentId}-01`, "x-request-id": requestId },
      body: JSON.stringify({ items: [{ articleId: "1000003", quantity: 2 }] }),
    });
    expect(traced.status).toBe(200);
    expect(traced.headers.get("x-request-id")).toBe(requestId);
    const [, echoedTrace, workerSpan] = TRACEPARENT.exec(traced.headers.get("traceparent") ?? "")!;
    expect(echoedTrace).toBe(traceId);
    expect(workerSpan).not.toBe(parentId);

    // The Worker: its access line of this request carries both ids and the caller's span.
    await waitUntil(() => workerLines().some((l) => l.requestId === requestId && l.msg === "request"), 10_000, "worker access log line");
    const access = workerLines().find((l) => l.requestId === requestId && l.msg === "request")!;
    expect(access).toMatchObject({ traceId, spanId: workerSpan, parentSpanId: parentId, method: "POST", path: "/v1/prices", status: 200 });
    // Every Worker line of this request has the trace id.
    for (const l of workerLines().filter((x) => x.requestId === requestId)) expect(l.traceId).toBe(traceId);

    // The connector: the ERP call it served for this request, under the same trace.
    const call = connectorLines.find((l) => l.msg === "call served" && l.requestId === requestId);
    expect(call).toMatchObject({ traceId, operation: "erp.prices", tenantId: t.tenantId });
    // Its parent is the edge's hop into the tunnel: a span of this trace, neither the storefront's nor the Worker's.
    expect(call!.parentSpanId).toMatch(/^[0-9a-f]{16}$/);
    expect([parentId, workerSpan]).not.toContain(call!.parentSpanId);
  });

  it("ignores an invalid traceparent and starts a new trace that still reaches the connector", async () => {
    const { t, connectorLines } = await tenantWithCapturedConnector();
    for (const bad of ["00-00000000000000000000000000000000-00f067aa0ba902b7-01", "zz-nonsense", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"]) {
      const res = await fetch(`${inject("baseUrl")}/v1/stock`, {
        method: "POST",
        headers: { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json", traceparent: bad },
        body: JSON.stringify({ articleIds: [String(1_000_010 + connectorLines.length)] }),
      });
      expect(res.status).toBe(200);
      const [, traceId] = TRACEPARENT.exec(res.headers.get("traceparent") ?? "")!;
      expect(bad).not.toContain(traceId!);
      const requestId = res.headers.get("x-request-id")!;
      await waitUntil(() => connectorLines.some((l) => l.requestId === requestId), 10_000, "connector call line");
      expect(connectorLines.find((l) => l.requestId === requestId)).toMatchObject({ traceId, operation: "erp.stock" });
    }
  });
});
