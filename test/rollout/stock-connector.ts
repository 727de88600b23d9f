import { PROTOCOL_VERSION, decodeFrame, encodeFrame, jsonBytes, parseJsonBytes } from "../../proto/tunnel.ts";
import { admin, call, json } from "./helpers.ts";

/**
 * The connector side of a tenant's tunnel, spoken frame by frame through the router (the node
 * connector host cannot run inside workerd): it registers for `erp.stock` and answers each call
 * with a fixed stock per article, so live calls run the real path router → ring → TenantSession.
 */
export async function connectStockConnector(tenantId: string, connectorId = "werk-1"): Promise<{ close(): void }> {
  const issued = await admin(`/tenants/${tenantId}/connector-tokens`, "POST", { connectorId });
  if (issued.status !== 201) throw new Error(`connector token: ${issued.status} ${await issued.text()}`);
  const { token } = await json<{ token: string }>(issued);
  const res = await call("/v1/connector/connect", { headers: { upgrade: "websocket", authorization: `Bearer ${token}` } });
  if (res.status !== 101 || !res.webSocket) throw new Error(`connect: ${res.status} ${await res.text()}`);
  const ws = res.webSocket;
  ws.accept();
  const welcomed = new Promise<void>((resolve, reject) => {
    ws.addEventListener("message", (e) => {
      const frame = decodeFrame(new Uint8Array(e.data as ArrayBuffer));
      if (frame.body.case === "welcome") resolve();
      else if (frame.body.case === "error") reject(new Error(frame.body.value.message));
      else if (frame.body.case === "call" && frame.body.value.operation === "erp.stock") {
        const { articleIds } = parseJsonBytes(frame.body.value.payloadJson) as { articleIds: string[] };
        const stock = articleIds.map((articleId) => ({ articleId, warehouses: [{ warehouseId: "W1", name: "Hauptlager", quantity: 7 }], total: 7 }));
        ws.send(encodeFrame(frame.callId, { case: "result", value: { payloadJson: jsonBytes(stock) } }, frame.epoch));
      }
    });
  });
  ws.send(encodeFrame(0n, {
    case: "hello",
    value: { connectorId, protocolVersion: PROTOCOL_VERSION, version: "1.0.0-test", capabilities: ["erp.stock"], businessUnits: ["default"], maxInFlightPerBusinessUnit: 1 },
  }));
  await welcomed;
  return { close: () => ws.close(1000, "test done") };
}
