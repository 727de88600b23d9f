import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { simStats } from "../../../connector-host/simulator/session.ts";
import { recordScenario } from "../../support/scenario-log.ts";
import { adminHttp } from "../client.ts";
import { erpOrders, seedCatalog } from "../orders-fixture.ts";
import { cleanupFixtures, liveTenant, waitUntil } from "../tenant-fixture.ts";
import { type Bounded, bounded, orderLedger, scaled, sleep } from "./harness.ts";
import { address, article, placeWithRetries } from "./order-client.ts";

afterEach(cleanupFixtures);

describe("faults: the ERP misbehaves", () => {
  it("session expiring: while idle -> the call succeeds after a re-login; during calls -> success after re-login or a clear retryable error", { timeout: 120_000 }, async () => {
    const calls = scaled(20, 200);
    // Sessions the ERP forgets after 400 ms idle; logins are slow-ish (enventa's are > 2 s).
    const t = await liveTenant({ live: { callDeadlineMs: 8_000, coalesce: false }, cache: { stockTtlSeconds: 5 } }, { idleTimeoutMs: 400, loginMs: 300 });
    await t.startConnector();
    const stock = (id: string) => bounded("/v1/stock", { method: "POST", json: { articleIds: [id] }, token: t.apiKey }, 20_000);
    expect((await stock(article(1))).status).toBe(200);
    const logins = simStats.logins;
    await sleep(600);
    const afterIdle = await stock(article(2));
    expect(afterIdle).toMatchObject({ hung: false, status: 200 });
    expect(simStats.logins).toBeGreaterThan(logins);

    // The ERP drops the session's connection in the middle of calls, half of the time.
    t.erp.setFaults({ dropRate: 0.5 });
    const before = { logins: simStats.logins, failed: simStats.failedCalls };
    const answers: Bounded[] = [];
    for (let i = 0; i < calls; i++) answers.push(await stock(article(10 + i)));
    t.erp.setFaults({ dropRate: 0 });
    const hung = answers.filter((a) => a.hung).length;
    const ok = answers.filter((a) => !a.hung && a.status === 200).length;
    const clear = answers.filter((a) => !a.hung && a.status === 502 && a.body.error.code === "erp_error" && /session/.test(a.body.error.message) && a.headers.get("retry-after"));
    const unclear = answers.filter((a) => !a.hung && a.status !== 200 && !clear.includes(a)).map((a) => (a.hung ? "hung" : `${a.status} ${JSON.stringify(a.body)}`));
    const relogins = simStats.logins - before.logins;
    recordScenario({
      suite: "faults", name: "ERP session expiring (idle and mid-call)", passed: hung === 0 && unclear.length === 0 && afterIdle.status === 200 && ok > 0,
      faults: ["session idle expiry", `session connection dropped mid-call (p=0.5, ${simStats.failedCalls - before.failed} drops)`], hungRequests: hung,
      figures: { calls, ok, clearRetryableErrors: clear.length, relogins },
    });
    expect(hung).toBe(0);
    expect(unclear).toEqual([]);
    // Most calls whose session broke were retried on a fresh login and answered.
    expect(ok).toBeGreaterThan(clear.length);
    expect(relogins).toBeGreaterThan(0);
    expect((await stock(article(3))).status).toBe(200);
  });

  it("ERP slow (5 s calls): callers get 504 at the deadline, not later; the queue stays bounded (503 busy + Retry-After); orders are queued, not lost", { timeout: 120_000 }, async () => {
    const DEADLINE = 1_500;
    const CAPACITY = 4;
    const burst = scaled(16, 64);
    const t = await liveTenant({ live: { callDeadlineMs: DEADLINE, queueCapacity: CAPACITY, coalesce: false } });
    await seedCatalog(t.tenantId, [article(1)]);
    await t.startConnector();
    t.erp.setFaults({ perCallMs: 5_000 });
    const limit = DEADLINE + 8_000;
    const answers = await Promise.all(Array.from({ length: burst }, (_, i) => bounded("/v1/stock", { method: "POST", json: { articleIds: [article(100 + i)] }, token: t.apiKey }, limit)));
    const hung = answers.filter((a) => a.hung).length;
    const late = answers.filter((a) => !a.hung && a.status === 504);
    const busy = answers.filter((a) => !a.hung && a.status === 503 && a.body.error.code === "busy" && a.headers.get("retry-after"));
    const other = answers.filter((a) => !a.hung && !late.includes(a) && !busy.includes(a)).map((a) => (a.hung ? "hung" : `${a.status} ${JSON.stringify(a.body)}`));
    const slowest504 = Math.max(0, ...late.map((a) => a.ms));

    // An order while the ERP is slow: accepted into the outbox (202), created once when it is fast again.
    const token = await t.customerToken("K10021");
    const order = await placeWithRetries(t, token, { lines: [{ articleId: article(1), quantity: 2 }], deliveryAddress: address }, randomUUID(), { limitMs: limit });
    t.erp.setFaults({ perCallMs: 0 });
    await waitUntil(async () => (await bounded("/v1/stock", { method: "POST", json: { articleIds: [article(2)] }, token: t.apiKey }, limit)).status === 200, 30_000, "fast again");
    await waitUntil(async () => (await adminHttp(`/tenants/${t.tenantId}/connectors`)).body.ordersQueued === 0, 60_000, "outbox drained");
    const ledger = orderLedger(order.orderId ? [order.orderId] : [], erpOrders(t).map((o) => o.external_ref));

    recordScenario({
      suite: "faults", name: "ERP slow (5 s calls): deadlines and bounded queue", passed: hung === 0 && other.length === 0 && busy.length > 0 && late.length <= CAPACITY + 1 && slowest504 < DEADLINE + 2_500 && !!order.orderId && ledger.lost === 0 && ledger.duplicated === 0,
      faults: ["ERP calls take 5 s", `burst of ${burst} calls, queue capacity ${CAPACITY}, deadline ${DEADLINE} ms`], hungRequests: hung + order.hung,
      lostOrders: ledger.lost + (order.orderId ? 0 : 1), duplicatedOrders: ledger.duplicated,
      figures: { deadlineMs: DEADLINE, answered504: late.length, busy503: busy.length, slowest504Ms: Math.round(slowest504), fastest504Ms: Math.round(Math.min(...late.map((a) => a.ms))), admitted: late.length },
    });
    expect(hung).toBe(0);
    expect(other).toEqual([]);
    expect(busy.length).toBeGreaterThan(0);
    expect(late.length).toBeGreaterThan(0);
    for (const a of late) {
      expect(a.body.error.code).toBe("deadline_exceeded");
      // At the deadline: not before it, and far from the ERP's 5 s.
      expect(a.ms).toBeGreaterThanOrEqual(DEADLINE - 50);
      expect(a.ms).toBeLessThan(DEADLINE + 2_500);
    }
    // Refused at once, never after the deadline (and never after the ERP's 5 s).
    for (const a of busy) expect(a.ms).toBeLessThan(DEADLINE + 2_500);
    // Bounded: only the queue's capacity plus the one call at the ERP were admitted; the rest got busy at once.
    expect(late.length).toBeLessThanOrEqual(CAPACITY + 1);
    expect(order.orderId).toBeTruthy();
    expect(ledger).toEqual({ lost: 0, duplicated: 0 });
  });
});
