import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { decodeFrame, encodeFrame, PROTOCOL_VERSION } from "../../proto/tunnel.ts";
import { newCustomerSigningKey, signCustomerToken } from "../../scripts/local/customer-keys.ts";
import { adminClient } from "../../scripts/rollout/admin-client.ts";
import { moveTenant } from "../../scripts/rollout/move.ts";
import { openDatabase } from "../../workers/db/client.ts";
import { RING_ADMIN_TOKEN } from "./constants.ts";
import { admin, call, json, tenantInRing } from "./helpers.ts";

/** The rollout CLI's own move logic, talking to the router as it would over HTTP. */
const cli = adminClient("http://edge.test", RING_ADMIN_TOKEN, (r) => exports.default.fetch(r));
const ORDER = { lines: [{ articleId: "1000001", quantity: 2 }], deliveryAddress: { name: "Kunde", street: "Weg 1", postalCode: "12345", city: "Berlin", country: "DE" } };

type Receipt = { orderId: string; status: string };
type Envelope = { error: { code: string; message: string } };

/** A canary tenant that can place orders: customer-token key, one synced article, no cron syncs. */
async function orderingTenant(prefix: string) {
  const { privateJwk, publicJwk } = await newCustomerSigningKey("k1");
  const t = await tenantInRing("canary", prefix, { customerTokens: { keys: [publicJwk] }, sync: { enabled: false } });
  await admin(`/tenants/${t.tenantId}`, "PATCH", { config: { customerTokens: { issuer: t.tenantId, keys: [publicJwk] }, sync: { enabled: false } } });
  const { pool } = openDatabase(env);
  await pool.query(`INSERT INTO articles (tenant_id, article_id, rowversion, article_number, name) VALUES ($1, '1000001', 1, 'SW-1', 'Schraube')`, [t.tenantId]);
  await pool.end();
  const headers = { authorization: `Bearer ${t.key}`, "x-customer-token": await signCustomerToken(privateJwk, t.tenantId, "K10001"), "content-type": "application/json" };
  const order = (key: string, fetcher: (r: Request) => Promise<Response> = (r) => exports.default.fetch(r)) =>
    fetcher(new Request("http://edge.test/v1/orders", { method: "POST", headers: { ...headers, "idempotency-key": key }, body: JSON.stringify(ORDER) }));
  return { ...t, headers, order };
}

describe("moving a tenant between rings", () => {
  it("carries a queued order and its idempotency key over: the replay on the new ring returns the same order", async () => {
    const t = await orderingTenant("mv");
    // No connector: the order is accepted and waits in the canary ring's outbox.
    const first = await t.order("order-1");
    expect(first.status).toBe(202);
    expect(first.headers.get("x-b2x-ring")).toBe("canary");
    const placed = await json<Receipt>(first);
    expect(placed.status).toBe("queued");

    const report = await moveTenant(cli, t.tenantId, "stable");
    expect(report).toMatchObject({ from: "canary", to: "stable", drained: { pendingOrders: 1, orders: 1, idempotencyKeys: 1 }, imported: { outbox: 1, idempotencyKeys: 1, parts: 1 } });
    expect(await env.TENANT_RINGS.get(t.tenantId)).toBe("stable");
    expect((await json<{ rolloutRing: string }>(admin(`/tenants/${t.tenantId}`))).rolloutRing).toBe("stable");

    // The same key and body, now answered by the stable ring: the stored answer, not a second order.
    const replay = await t.order("order-1");
    expect(replay.status).toBe(202);
    expect(replay.headers.get("x-b2x-ring")).toBe("stable");
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect((await json<Receipt>(replay)).orderId).toBe(placed.orderId);
    // The order itself travelled: still queued, still the customer's, waiting for a connector on stable.
    const status = await call(`/v1/orders/${placed.orderId}`, { headers: t.headers });
    expect(status.headers.get("x-b2x-ring")).toBe("stable");
    expect(await json<{ orderId: string; status: string }>(status)).toMatchObject({ orderId: placed.orderId, status: "queued" });
    const presence = await json<{ ordersQueued: number }>(admin(`/tenants/${t.tenantId}/connectors`));
    expect(presence.ordersQueued).toBe(1);

    // A request a stale router still sends to canary is refused there, retryably; nothing is taken.
    const stale = await t.order("order-2", (r) => env.RING_CANARY.fetch(r));
    expect(stale.status).toBe(503);
    expect(stale.headers.get("retry-after")).toBe("5");
    expect((await json<Envelope>(stale)).error.code).toBe("tenant_moving");
    expect(await json<{ phase: string; to: string }>(admin(`/tenants/${t.tenantId}/move`, "GET", undefined, "canary"))).toMatchObject({ phase: "moved", to: "stable" });
    // New orders go on in the new ring.
    const next = await t.order("order-2");
    expect(next.status).toBe(202);
    expect((await json<Receipt>(next)).orderId).not.toBe(placed.orderId);

    // Every step is in the audit log with the ring that ran it.
    const { pool } = openDatabase(env);
    const rows = await pool.query(`SELECT action, details->>'ring' AS ring FROM audit_log WHERE tenant_id = $1 AND action LIKE 'tenant.move.%' ORDER BY event_id`, [t.tenantId]);
    await pool.end();
    expect(rows.rows).toEqual([
      { action: "tenant.move.drain", ring: "canary" }, { action: "tenant.move.export", ring: "canary" }, { action: "tenant.move.import", ring: "stable" },
      { action: "tenant.move.finish", ring: "stable" }, { action: "tenant.move.complete", ring: "canary" },
    ]);
  });

  it("tells connected connectors to reconnect; they come back through the router to the new ring", async () => {
    const t = await tenantInRing("early", "mvws");
    const { token } = await json<{ token: string }>(admin(`/tenants/${t.tenantId}/connector-tokens`, "POST", { connectorId: "werk-1" }));
    const connect = async () => {
      const res = await call("/v1/connector/connect", { headers: { upgrade: "websocket", authorization: `Bearer ${token}` } });
      return res;
    };
    const res = await connect();
    expect(res.headers.get("x-b2x-ring")).toBe("early");
    const ws = res.webSocket!;
    ws.accept();
    const welcomed = new Promise<void>((resolve) => ws.addEventListener("message", (e) => decodeFrame(new Uint8Array(e.data as ArrayBuffer)).body.case === "welcome" && resolve()));
    const closed = new Promise<number>((resolve) => ws.addEventListener("close", (e) => resolve(e.code)));
    ws.send(encodeFrame(0n, { case: "hello", value: { connectorId: "werk-1", protocolVersion: PROTOCOL_VERSION, version: "t", capabilities: [], businessUnits: ["default"], maxInFlightPerBusinessUnit: 1 } }));
    await welcomed;

    // A ring switch without a move would strand the connected connector: refused.
    const patch = await admin(`/tenants/${t.tenantId}`, "PATCH", { rolloutRing: "canary" });
    expect(patch.status).toBe(409);
    expect(await env.TENANT_RINGS.get(t.tenantId)).toBe("early");

    const report = await moveTenant(cli, t.tenantId, "canary");
    expect(report.socketsClosed).toBe(1);
    expect(await closed).toBe(4010);
    const again = await connect();
    expect(again.status).toBe(101);
    expect(again.headers.get("x-b2x-ring")).toBe("canary");
    again.webSocket!.accept();
    again.webSocket!.close(1000, "done");
  });

  it("refuses steps out of order and bad imports, and a failed move leaves the tenant where it was", async () => {
    const t = await orderingTenant("mvbad");
    expect((await t.order("k-1")).status).toBe(202);
    const base = `/tenants/${t.tenantId}/move`;
    expect((await admin(`${base}/drain`, "POST", { to: "canary" })).status).toBe(400); // already there
    expect((await admin(`${base}/drain`, "POST", { to: "nowhere" })).status).toBe(400);
    const early = await admin(`${base}/export`, "POST");
    expect(early.status).toBe(409); // not drained
    expect((await json<Envelope>(early)).error.code).toBe("conflict");
    // Steps sent to the wrong ring are refused: importing into (or completing in) the tenant's live ring would overwrite (or close) it.
    expect((await admin(`${base}/import`, "POST", { reset: true, part: {} }, "canary")).status).toBe(409);
    expect((await admin(`${base}/complete`, "POST", undefined, "canary")).status).toBe(409);
    expect((await admin(`${base}/drain`, "POST", { to: "early" }, "stable")).status).toBe(409);
    const bad = await admin(`${base}/import`, "POST", { part: { outbox: [{ seq: 1, "order_id; DROP TABLE order_outbox": "x" }] } }, "stable");
    expect(bad.status).toBe(400);
    expect((await json<Envelope>(bad)).error.code).toBe("validation_failed");
    // A ring switch that would strand the queued order is refused, and the router still sends the tenant to canary.
    expect((await admin(`/tenants/${t.tenantId}`, "PATCH", { rolloutRing: "stable" })).status).toBe(409);
    expect(await env.TENANT_RINGS.get(t.tenantId)).toBe("canary");

    // The CLI's move stops before the switch when the import fails (here: the network drops that
    // one call), cancels the drain, and the source takes orders again as before.
    const flaky: typeof cli = { call: (method, path, opts) => (path.endsWith("/move/import") ? Promise.reject(new Error("connection reset")) : cli.call(method, path, opts)) };
    await expect(moveTenant(flaky, t.tenantId, "early")).rejects.toThrow(/stopped before the switch; it stays in 'canary' as it was: connection reset/);
    expect(await json<{ phase: string }>(admin(base))).toMatchObject({ phase: "open", ring: "canary" });
    expect(await env.TENANT_RINGS.get(t.tenantId)).toBe("canary");
    const replay = await t.order("k-1");
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect((await t.order("k-2")).status).toBe(202);
    await expect(moveTenant(cli, t.tenantId, "canary")).rejects.toThrow(/already in the 'canary' ring/);
    // Naming the current ring again is no switch: allowed with state, it only publishes the ring to KV again.
    await env.TENANT_RINGS.delete(t.tenantId);
    expect((await admin(`/tenants/${t.tenantId}`, "PATCH", { rolloutRing: "canary" }, "canary")).status).toBe(200);
    expect(await env.TENANT_RINGS.get(t.tenantId)).toBe("canary");
  });

  it("carries a running sync run over: the new ring resumes the same run instead of starting a second", async () => {
    const t = await tenantInRing("early", "mvsync");
    const started = await admin(`/tenants/${t.tenantId}/sync`, "POST", { mode: "full" });
    expect(started.status).toBe(202);
    const { runId } = await json<{ runId: string }>(started);
    // No connector: the run stays "running" in Postgres, waiting to resume from its cursor.
    const report = await moveTenant(cli, t.tenantId, "stable");
    expect(report.drained?.syncRun).toBe(runId);
    const again = await admin(`/tenants/${t.tenantId}/sync`, "POST", { mode: "incremental" });
    expect(again.headers.get("x-b2x-ring")).toBe("stable");
    expect(again.status).toBe(409);
    expect(await json<{ runId: string; started: boolean }>(again)).toMatchObject({ runId, started: false });
    // The old ring refuses to start one (a stale cron or admin call there does nothing).
    const old = await admin(`/tenants/${t.tenantId}/sync`, "POST", { mode: "incremental" }, "early");
    expect(old.status).toBe(503);
    expect((await json<Envelope>(old)).error.code).toBe("tenant_moving");
  });
});
