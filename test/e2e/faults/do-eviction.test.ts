import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { recordScenario } from "../../support/scenario-log.ts";
import { adminHttp } from "../client.ts";
import { erpOrders, seedCatalog } from "../orders-fixture.ts";
import { cleanupFixtures, liveTenant, waitUntil } from "../tenant-fixture.ts";
import { type Bounded, bounded, orderLedger, scaled, sleep } from "./harness.ts";
import { address, article, placeWithRetries } from "./order-client.ts";

afterEach(cleanupFixtures);

const DEADLINE_MS = 4_000;
/** A caller still waiting this long after its call's deadline is hung. */
const LIMIT_MS = DEADLINE_MS + 8_000;
/** What a caller may get when the object restarts under it: each names what happened. */
const CLEAR_503 = new Set(["session_unavailable", "connector_offline", "connector_disconnected", "busy"]);

/** A success, or a clear error (a known code and a message); anything else is reported. */
function judge(r: Bounded): "ok" | "clear" | "hung" | string {
  if (r.hung) return "hung";
  if (r.status >= 200 && r.status < 300) return "ok";
  if (r.status === 503 && CLEAR_503.has(r.body?.error?.code) && r.body.error.message && r.headers.get("retry-after")) return "clear";
  if (r.status === 504 && r.body?.error?.code === "deadline_exceeded") return "clear";
  return `${r.status} ${JSON.stringify(r.body).slice(0, 160)}`;
}

describe("faults: the tenant's Durable Object evicted with calls in flight", () => {
  it("every caller gets a result or a clear error, none hangs; orders placed meanwhile exist once", { timeout: 180_000 }, async () => {
    const rounds = scaled(2, 10);
    const callsPerRound = scaled(24, 60);
    const t = await liveTenant({ live: { callDeadlineMs: DEADLINE_MS, coalesce: false } });
    await seedCatalog(t.tenantId, Array.from({ length: 20 }, (_, i) => article(i + 1)));
    await t.startConnector();
    const tokens = await Promise.all(["K10011", "K10012", "K10013"].map((id) => t.customerToken(id)));
    const verdicts: string[] = [];
    const orders: Promise<Awaited<ReturnType<typeof placeWithRetries>>>[] = [];
    for (let round = 0; round < rounds; round++) {
      t.erp.setFaults({ perCallMs: 250 });
      const calls: Promise<Bounded>[] = [];
      for (let i = 0; i < callsPerRound; i++) {
        const token = tokens[i % tokens.length]!;
        const id = article(1 + ((round * callsPerRound + i) % 20));
        switch (i % 4) {
          case 0:
            calls.push(bounded("/v1/prices", { method: "POST", json: { items: [{ articleId: id, quantity: 1 + i }] }, token: t.apiKey, headers: { "x-customer-token": token } }, LIMIT_MS));
            break;
          case 1:
            calls.push(bounded("/v1/stock", { method: "POST", json: { articleIds: [id] }, token: t.apiKey }, LIMIT_MS));
            break;
          case 2:
            calls.push(bounded("/v1/customers/me", { token: t.apiKey, headers: { "x-customer-token": token } }, LIMIT_MS));
            break;
          default:
            // Orders go through a retrying client: what matters is that each exists once in the end.
            orders.push(placeWithRetries(t, token, { lines: [{ articleId: id, quantity: 1 }], deliveryAddress: address }, randomUUID(), { limitMs: LIMIT_MS }));
        }
      }
      // Some calls are answered, some are at the connector, most wait in the object's queue.
      await sleep(600);
      await adminHttp(`/tenants/${t.tenantId}/session/reset`, { method: "POST" });
      verdicts.push(...(await Promise.all(calls)).map(judge));
      t.erp.setFaults({ perCallMs: 0 });
      await waitUntil(async () => (await adminHttp(`/tenants/${t.tenantId}/connectors`)).body.connectors.some((c: { connected: boolean }) => c.connected), 30_000, "connector back after the reset");
    }
    const outcomes = await Promise.all(orders);
    await waitUntil(async () => (await adminHttp(`/tenants/${t.tenantId}/connectors`)).body.ordersQueued === 0, 90_000, "outbox drained");
    const accepted = outcomes.filter((o) => o.orderId).map((o) => o.orderId!);
    const ledger = orderLedger(accepted, erpOrders(t).map((o) => o.external_ref));
    const hung = verdicts.filter((v) => v === "hung").length + outcomes.reduce((s, o) => s + o.hung, 0);
    const unclear = [...verdicts.filter((v) => v !== "ok" && v !== "clear" && v !== "hung"), ...outcomes.flatMap((o) => o.unclear)];
    const notAccepted = outcomes.filter((o) => !o.orderId).length;
    recordScenario({
      suite: "faults", name: "DO evicted with calls in flight (session reset)", passed: hung === 0 && unclear.length === 0 && ledger.lost + notAccepted === 0 && ledger.duplicated === 0,
      faults: [`${rounds} object resets with ${callsPerRound} calls in flight each`], hungRequests: hung, lostOrders: ledger.lost + notAccepted, duplicatedOrders: ledger.duplicated,
      figures: { calls: verdicts.length, ok: verdicts.filter((v) => v === "ok").length, clearErrors: verdicts.filter((v) => v === "clear").length, orders: outcomes.length, orderAttempts: outcomes.reduce((s, o) => s + o.attempts, 0) },
    });
    expect(unclear).toEqual([]);
    expect(hung).toBe(0);
    expect(notAccepted).toBe(0);
    expect(ledger).toEqual({ lost: 0, duplicated: 0 });
    expect(verdicts.filter((v) => v === "clear").length).toBeGreaterThan(0);
  });
});
