import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterEach, describe, expect, inject, it } from "vitest";
import { OrderBook } from "../../connector-host/simulator/orders.ts";
import { adminHttp, http } from "./client.ts";
import { erpOrders, seedCatalog } from "./orders-fixture.ts";
import { type LiveTenant, cleanupFixtures, liveTenant, waitUntil } from "./tenant-fixture.ts";

afterEach(cleanupFixtures);

/** Articles 1000001..1000500 exist in every test tenant's simulated ERP. */
const article = (i: number) => String(1_000_000 + i);
const address = { name: "Müller Haustechnik GmbH", street: "Industriestraße 12", postalCode: "70565", city: "Stuttgart", country: "DE" };
const order = (lines: { articleId: string; quantity: number }[], extra: Record<string, unknown> = {}) => ({ lines, deliveryAddress: address, ...extra });

async function auditActions(tenantId: string, orderId: string): Promise<{ action: string; request_id: string; details: Record<string, unknown> }[]> {
  const db = new pg.Client({ connectionString: inject("stackDatabaseUrl") });
  await db.connect();
  try {
    return (await db.query(`SELECT action, request_id, details FROM audit_log WHERE tenant_id = $1 AND target = $2 ORDER BY event_id`, [tenantId, orderId])).rows;
  } finally {
    await db.end();
  }
}

/** POST /v1/orders with a fresh key, the given one, or (null) none. */
function place(t: LiveTenant, customerToken: string, body: unknown, key: string | null = randomUUID()) {
  return http("/v1/orders", { method: "POST", json: body, token: t.apiKey, headers: { "x-customer-token": customerToken, ...(key !== null && { "idempotency-key": key }) } });
}

async function statusOf(t: LiveTenant, customerToken: string, orderId: string) {
  return (await t.get(`/v1/orders/${orderId}`, customerToken)).body;
}

const connected = async (t: LiveTenant) => (await adminHttp(`/tenants/${t.tenantId}/connectors`)).body.connectors.some((c: { connected: boolean }) => c.connected);

describe("orders: created in the ERP exactly once", () => {
  it("creates the order (201, ERP number), shows the ERP's status as it changes, only to its customer, with audit events", async () => {
    const t = await liveTenant();
    await t.startConnector();
    // The catalog comes from a real sync run, as in production.
    const sync = await adminHttp(`/tenants/${t.tenantId}/sync`, { method: "POST", json: { mode: "full" } });
    expect(sync.status).toBe(202);
    await waitUntil(async () => (await adminHttp(`/tenants/${t.tenantId}/sync`)).body.runs[0]?.status === "succeeded", 60_000, "catalog sync");

    const token = await t.customerToken("K10003");
    const res = await place(t, token, order([{ articleId: article(1), quantity: 3 }, { articleId: article(2), quantity: 12 }], { customerReference: "PO-4711" }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: "created", customerReference: "PO-4711", rejectReason: null });
    const { orderId, erpOrderNo } = res.body;
    expect(orderId).toMatch(/^ord_/);
    expect(res.headers.get("location")).toBe(`/v1/orders/${orderId}`);
    const [row, ...more] = erpOrders(t);
    expect(more).toEqual([]);
    expect(row).toMatchObject({ order_no: erpOrderNo, external_ref: `B2X-${orderId}`, customer_id: "K10003", status: "created" });

    const view = await statusOf(t, token, orderId);
    expect(view).toMatchObject({ orderId, status: "created", erpOrderNo, source: "erp", stale: false, attempts: 1, customerReference: "PO-4711" });
    expect(view.lines.map((l: { articleId: string; quantity: number }) => [l.articleId, l.quantity])).toEqual([[article(1), 3], [article(2), 12]]);
    expect(view.lines[0].unitPrice).toBeGreaterThan(0);

    // Later ERP statuses reach the storefront (the connector's order event drops the cached one).
    new OrderBook(t.erp).advance(1);
    await waitUntil(async () => (await statusOf(t, token, orderId)).status === "in_progress", 15_000, "ERP status in_progress");
    // The ERP's number works too, as it always did.
    expect(await statusOf(t, token, erpOrderNo)).toMatchObject({ orderId, status: "in_progress" });

    // Another customer of the same tenant sees nothing.
    const other = await t.get(`/v1/orders/${orderId}`, await t.customerToken("K10004"));
    expect(other.status).toBe(404);
    expect((await t.get(`/v1/orders/${erpOrderNo}`, await t.customerToken("K10004"))).status).toBe(404);
    expect((await t.get(`/v1/orders/ord_00000000000000000000000000`, token)).status).toBe(404);

    const requestId = res.headers.get("x-request-id");
    await waitUntil(async () => (await auditActions(t.tenantId, orderId)).length >= 2, 15_000, "order audit events");
    const events = await auditActions(t.tenantId, orderId);
    expect(events.map((e) => e.action)).toEqual(["order.accepted", "order.created"]);
    for (const e of events) expect(e.request_id).toBe(requestId);
    expect(events[1]!.details).toMatchObject({ erpOrderNo, attempts: 1 });
  });

  it("answers 20 concurrent requests with one key with one ERP order: the others are replays or 409", async () => {
    const t = await liveTenant();
    await seedCatalog(t.tenantId, [article(5)]);
    await t.startConnector();
    t.erp.setFaults({ perCallMs: 300 });
    const token = await t.customerToken("K10005");
    const key = randomUUID();
    const body = order([{ articleId: article(5), quantity: 1 }]);
    const all = await Promise.all(Array.from({ length: 20 }, () => place(t, token, body, key)));
    const statuses = all.map((r) => r.status);
    expect(statuses.filter((s) => s !== 201 && s !== 409)).toEqual([]);
    const originals = all.filter((r) => r.status === 201 && r.headers.get("idempotent-replayed") !== "true");
    expect(originals).toHaveLength(1);
    const orderId = originals[0]!.body.orderId;
    for (const r of all.filter((x) => x.status === 201)) expect(r.body).toEqual(originals[0]!.body);
    for (const r of all.filter((x) => x.status === 409)) {
      expect(r.body.error.code).toBe("idempotency_conflict");
      expect(r.headers.get("retry-after")).toBe("1");
    }
    // After the first finished, the key replays the stored answer: same order, same status.
    const again = await place(t, token, body, key);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(originals[0]!.body);
    expect(erpOrders(t).map((o) => o.external_ref)).toEqual([`B2X-${orderId}`]);
  });

  it("connector killed after it got the create, before the result reached the edge: queued, then created once, after it reconnects", { timeout: 90_000 }, async () => {
    const t = await liveTenant();
    await seedCatalog(t.tenantId, [article(7)]);
    const first = await t.startConnector("werk-1");
    t.erp.setFaults({ perCallMs: 1_500 });
    const token = await t.customerToken("K10007");
    const key = randomUUID();
    const body = order([{ articleId: article(7), quantity: 2 }]);
    const pending = place(t, token, body, key);
    await waitUntil(() => first.client.status.inFlight > 0, 15_000, "create call at the connector");
    first.client.kill();
    const res = await pending;
    expect(res.status).toBe(202);
    expect(res.body.status).toBe("queued");
    const { orderId } = res.body;
    // The ERP finished the create the dead connector had started: the ERP has it, the edge does not know.
    await waitUntil(() => erpOrders(t).length === 1, 15_000, "the ERP order of the killed call");
    expect((await statusOf(t, token, orderId)).status).toBe("queued");

    t.erp.setFaults({ perCallMs: 0 });
    await t.startConnector("werk-1");
    await waitUntil(async () => (await statusOf(t, token, orderId)).status === "created", 30_000, "order created after reconnect");
    const erp = erpOrders(t);
    expect(erp).toHaveLength(1);
    expect(erp[0]).toMatchObject({ external_ref: `B2X-${orderId}`, status: "created" });
    expect((await statusOf(t, token, orderId)).erpOrderNo).toBe(erp[0]!.order_no);
    // The key still answers the first response (202), with the same order.
    const replay = await place(t, token, body, key);
    expect(replay.status).toBe(202);
    expect(replay.body.orderId).toBe(orderId);
  });

  it("sends the create to the other replica when the one running it dies: 201, one ERP order", { timeout: 60_000 }, async () => {
    const t = await liveTenant();
    await seedCatalog(t.tenantId, [article(8)]);
    const a = await t.startConnector("werk-a");
    const b = await t.startConnector("werk-b");
    t.erp.setFaults({ perCallMs: 1_000 });
    const token = await t.customerToken("K10008");
    const pending = place(t, token, order([{ articleId: article(8), quantity: 1 }]));
    await waitUntil(() => a.client.status.inFlight + b.client.status.inFlight > 0, 15_000, "create call at a connector");
    const victim = a.client.status.inFlight > 0 ? a : b;
    const victimCalls = victim.provider.metrics().calls!;
    victim.client.kill();
    const res = await pending;
    expect(res.status).toBe(201);
    // Once the dead connector's ERP call has finished too, the ERP still holds one order.
    await waitUntil(() => victim.provider.metrics().calls! > victimCalls, 15_000, "the killed connector's ERP call");
    expect(erpOrders(t).map((o) => [o.external_ref, o.order_no])).toEqual([[`B2X-${res.body.orderId}`, res.body.erpOrderNo]]);
  });

  it("object reset between the outbox write and the send: delivered from the outbox, the key answers it, one ERP order", { timeout: 90_000 }, async () => {
    const t = await liveTenant({ live: { callDeadlineMs: 6_000, coalesce: false } });
    await seedCatalog(t.tenantId, [article(9)]);
    const c = await t.startConnector();
    const token = await t.customerToken("K10009");
    const key = randomUUID();
    const body = order([{ articleId: article(9), quantity: 5 }]);
    // A slow call holds the BusinessUnit's only ERP session, so the create waits in the object's queue.
    t.erp.setFaults({ perCallMs: 4_000 });
    const hold = t.post("/v1/stock", { articleIds: [article(10)] });
    await waitUntil(() => c.client.status.inFlight === 1, 15_000, "the slow call at the connector");
    const first = place(t, token, body, key);
    await waitUntil(async () => (await adminHttp(`/tenants/${t.tenantId}/connectors`)).body.queueDepth === 1, 15_000, "create waiting in the object's queue");
    // In the outbox (the key is claimed by a running request), not sent: the ERP has nothing.
    expect((await place(t, token, body, key)).status).toBe(409);
    expect(erpOrders(t)).toEqual([]);
    expect(c.client.status.inFlight).toBe(1);

    await adminHttp(`/tenants/${t.tenantId}/session/reset`, { method: "POST" });
    t.erp.setFaults({ perCallMs: 0 });
    const interrupted = await first;
    expect(interrupted.status).toBe(503);
    expect(interrupted.body.error.code).toBe("session_unavailable");
    await hold;

    // Nobody retries: the restarted object finds the order in its outbox and delivers it, when the
    // connector says hello again (the reset closed its socket) or, failing that, at its alarm.
    await waitUntil(() => erpOrders(t).length === 1, 45_000, "order delivered from the outbox");
    const retry = await place(t, token, body, key);
    expect([201, 202]).toContain(retry.status);
    const orderId = retry.body.orderId;
    await waitUntil(async () => (await statusOf(t, token, orderId)).status === "created", 15_000, "status created");
    const erp = erpOrders(t);
    expect(erp).toHaveLength(1);
    expect(erp[0]).toMatchObject({ external_ref: `B2X-${orderId}`, status: "created" });
    expect((await statusOf(t, token, orderId)).erpOrderNo).toBe(erp[0]!.order_no);
  });

  it("connector offline for the whole request: 202 queued, created after the connector comes back", { timeout: 60_000 }, async () => {
    const t = await liveTenant();
    await seedCatalog(t.tenantId, [article(11), article(12)]);
    const token = await t.customerToken("K10011");
    const key = randomUUID();
    const body = order([{ articleId: article(11), quantity: 4 }, { articleId: article(12), quantity: 1 }]);
    const res = await place(t, token, body, key);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: "queued", erpOrderNo: null });
    const { orderId } = res.body;
    const queued = await statusOf(t, token, orderId);
    expect(queued).toMatchObject({ orderId, status: "queued", source: "gateway", erpOrderNo: null });
    expect(queued.lastError).toMatch(/connector_offline/);
    expect((await adminHttp(`/tenants/${t.tenantId}/connectors`)).body.ordersQueued).toBe(1);
    const replay = await place(t, token, body, key);
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual(res.body);

    await t.startConnector();
    await waitUntil(async () => (await statusOf(t, token, orderId)).status === "created", 30_000, "order created after the connector came back");
    const erp = erpOrders(t);
    expect(erp.map((o) => o.external_ref)).toEqual([`B2X-${orderId}`]);
    expect((await statusOf(t, token, orderId)).erpOrderNo).toBe(erp[0]!.order_no);
    expect((await adminHttp(`/tenants/${t.tenantId}/connectors`)).body.ordersQueued).toBe(0);
    await waitUntil(async () => (await auditActions(t.tenantId, orderId)).map((e) => e.action).join() === "order.accepted,order.queued,order.created", 15_000, "audit trail");
  });

  it("a transient ERP failure queues the order; the alarm retries it with backoff until it is created (no reconnect, no client retry)", { timeout: 60_000 }, async () => {
    const t = await liveTenant();
    await seedCatalog(t.tenantId, [article(14)]);
    const c = await t.startConnector();
    const token = await t.customerToken("K10014");
    t.erp.setFaults({ errorRate: 1 }); // every ERP call fails with a retryable error
    const res = await place(t, token, order([{ articleId: article(14), quantity: 1 }]));
    expect(res.status).toBe(202);
    const { orderId } = res.body;
    expect(erpOrders(t)).toEqual([]);
    await waitUntil(async () => (await statusOf(t, token, orderId)).attempts >= 2, 20_000, "a retry by the alarm");
    expect((await statusOf(t, token, orderId))).toMatchObject({ status: "queued", lastError: expect.stringMatching(/erp_unavailable/) });
    const reconnects = c.client.status.reconnects;
    t.erp.setFaults({ errorRate: 0 });
    await waitUntil(async () => (await statusOf(t, token, orderId)).status === "created", 30_000, "created by a later retry");
    expect(c.client.status.reconnects).toBe(reconnects);
    expect(erpOrders(t).map((o) => o.external_ref)).toEqual([`B2X-${orderId}`]);
  });

  it("reports ERP rejections (blocked customer, article the ERP does not know) with the reason, and does not retry them", { timeout: 60_000 }, async () => {
    const t = await liveTenant();
    // 9999999 is in the synced catalog but not (any more) in the ERP.
    await seedCatalog(t.tenantId, [article(13), "9999999"]);
    const c = await t.startConnector();
    const blockedToken = await t.customerToken("K10041"); // blocked in the simulator (Liefersperre)
    const blocked = await place(t, blockedToken, order([{ articleId: article(13), quantity: 1 }]));
    expect(blocked.status).toBe(422);
    expect(blocked.body.error.code).toBe("order_rejected");
    expect(blocked.body.error.message).toMatch(/blocked/);
    expect(blocked.body.order).toMatchObject({ status: "rejected", erpOrderNo: null });
    const token = await t.customerToken("K10001");
    const unknown = await place(t, token, order([{ articleId: article(13), quantity: 1 }, { articleId: "9999999", quantity: 1 }]));
    expect(unknown.status).toBe(422);
    expect(unknown.body.order.rejectReason).toMatch(/unknown article 9999999/);

    expect(await statusOf(t, blockedToken, blocked.body.order.orderId)).toMatchObject({ status: "rejected", attempts: 1, rejectReason: expect.stringMatching(/blocked/) });
    // A reconnect sends whatever is queued: nothing is, so nothing is tried again.
    const served = c.client.status.callsServed;
    c.client.dropConnection();
    await waitUntil(async () => c.client.status.state === "open" && (await connected(t)), 15_000, "reconnect");
    expect((await adminHttp(`/tenants/${t.tenantId}/connectors`)).body.ordersQueued).toBe(0);
    expect(await statusOf(t, token, unknown.body.order.orderId)).toMatchObject({ status: "rejected", attempts: 1 });
    expect(c.client.status.callsServed).toBe(served);
    expect(erpOrders(t).map((o) => o.status)).toEqual(["rejected", "rejected"]);
  });

  it("refuses bad input: no key 400, more than 1,000 lines 400, quantity <= 0 400, unknown articles 422 by name, a key reused for another body 422", async () => {
    const t = await liveTenant();
    await seedCatalog(t.tenantId, [article(20), article(21)]);
    const token = await t.customerToken("K10020");
    const good = order([{ articleId: article(20), quantity: 1 }]);

    const noKey = await place(t, token, good, null);
    expect(noKey.status).toBe(400);
    expect(noKey.body.error.code).toBe("idempotency_key_required");
    expect((await place(t, token, good, "bad key with spaces")).status).toBe(400);

    const tooMany = await place(t, token, order(Array.from({ length: 1001 }, (_, i) => ({ articleId: article(1 + (i % 400)), quantity: 1 }))));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.issues[0].path).toBe("lines");
    for (const quantity of [0, -1]) {
      const bad = await place(t, token, order([{ articleId: article(20), quantity }]));
      expect(bad.status).toBe(400);
      expect(bad.body.error.issues[0].path).toBe("lines.0.quantity");
    }
    expect((await place(t, token, { lines: [{ articleId: article(20), quantity: 1 }] })).body.error.issues[0].path).toBe("deliveryAddress");
    expect((await place(t, token, order([]))).status).toBe(400);
    expect((await place(t, token, { ...good, customerId: "K10021" })).status).toBe(400);
    expect((await place(t, "not.a.jwt", good)).status).toBe(401);

    const key = randomUUID();
    const unknown = await place(t, token, order([{ articleId: article(20), quantity: 1 }, { articleId: "nope-1", quantity: 1 }, { articleId: "nope-2", quantity: 2 }]), key);
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.code).toBe("unknown_articles");
    expect(unknown.body.error.message).toMatch(/nope-1, nope-2/);
    expect(unknown.body.error.issues).toEqual([
      { path: "lines.1.articleId", message: "unknown article 'nope-1'" },
      { path: "lines.2.articleId", message: "unknown article 'nope-2'" },
    ]);

    // A validation failure does not use up the key (Stripe's rule); a different body with a used key does not pass.
    const placed = await place(t, token, good, key);
    expect(placed.status).toBe(202); // no connector in this test
    const reused = await place(t, token, order([{ articleId: article(21), quantity: 1 }]), key);
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe("idempotency_key_reused");
    // Keys are per customer: another customer's same key is another order.
    const otherCustomer = await place(t, await t.customerToken("K10021"), good, key);
    expect(otherCustomer.status).toBe(202);
    expect(otherCustomer.body.orderId).not.toBe(placed.body.orderId);
    // Same body with the keys' JSON in another order is the same request.
    const shuffled = await place(t, token, { deliveryAddress: { country: "DE", city: address.city, postalCode: address.postalCode, street: address.street, name: address.name }, lines: [{ quantity: 1, articleId: article(20) }] }, key);
    expect(shuffled.status).toBe(202);
    expect(shuffled.body.orderId).toBe(placed.body.orderId);
  });
});
