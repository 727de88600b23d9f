import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, inject, it } from "vitest";
import { recordScenario } from "../../support/scenario-log.ts";
import { adminHttp } from "../client.ts";
import { erpDigest, pgCounts, pgDigest } from "../ground-truth.ts";
import { erpOrders, seedCatalog } from "../orders-fixture.ts";
import { cleanupFixtures, liveTenant, waitUntil } from "../tenant-fixture.ts";
import { edgeProxy, orderLedger, runSucceeded, scaled, sleep, syncGaps } from "./harness.ts";
import { address, article, placeWithRetries } from "./order-client.ts";

afterEach(cleanupFixtures);

const connectors = async (tenantId: string) => (await adminHttp(`/tenants/${tenantId}/connectors`)).body;
const online = async (tenantId: string) => (await connectors(tenantId)).connectors.some((c: { connected: boolean }) => c.connected);

describe("faults: the connector's connection reset through the fault proxy", () => {
  it("mid-sync: the run resumes from its checkpoint, Postgres equals the ERP, 0 sync gaps", { timeout: 300_000 }, async () => {
    const articles = scaled(6_000, 20_000);
    const resets = scaled(2, 5);
    const { proxy, edgeUrl } = await edgeProxy(11);
    try {
      const t = await liveTenant({ erpProvider: { syncBatchSize: 500 } }, { articles });
      const c = await t.startConnector("werk-1", { edgeUrl });
      // A WAN-like tunnel: latency with seeded jitter and a bandwidth cap, on top of the resets.
      proxy.shape({ latencyMs: 5, jitterMs: 10, bytesPerSecond: 16 * 1024 * 1024 });
      t.erp.setFaults({ perCallMs: 5 });
      const start = await adminHttp(`/tenants/${t.tenantId}/sync`, { method: "POST", json: { mode: "full" } });
      expect(start.status).toBe(202);
      const runId: string = start.body.runId;
      const run = async () => (await adminHttp(`/tenants/${t.tenantId}/sync`)).body.runs.find((r: { runId: string }) => r.runId === runId);
      // The first reset comes at a chosen moment: after ~1 MB of rows went up the tunnel.
      await proxy.resetAfterBytes(1_000_000, "up");
      for (let i = 1; i < resets; i++) {
        await waitUntil(async () => c.client.status.state === "open" && (await online(t.tenantId)), 30_000, "connector back");
        const done = (await run())?.rowsDone ?? 0;
        await waitUntil(async () => ((await run())?.rowsDone ?? 0) > done + 500 || (await run())?.status !== "running", 120_000, "progress after a reset");
        if ((await run())?.status !== "running") break;
        proxy.resetAll();
      }
      t.erp.setFaults({ perCallMs: 0 });
      await runSucceeded(run);
      const url = inject("stackDatabaseUrl");
      const gaps = syncGaps(await pgDigest(url, t.tenantId), erpDigest(t.erp));
      const counts = await pgCounts(url, t.tenantId);
      const final = await run();
      recordScenario({
        suite: "faults", name: "connector reset mid-sync (proxy RST)", passed: gaps === 0 && counts.articles === articles,
        faults: [`${proxy.stats.reset} connection resets (first after 1 MB up)`, "latency 5 ms + jitter 0-10 ms, 16 MiB/s"], syncGaps: gaps, hungRequests: 0,
        figures: { articles, resets: proxy.stats.reset, reconnects: c.client.status.reconnects, runAttempts: final.attempts, rowsDone: final.rowsDone },
      });
      expect(gaps).toBe(0);
      expect(counts.articles).toBe(articles);
      expect(proxy.stats.reset).toBeGreaterThanOrEqual(1);
      expect(c.client.status.reconnects).toBeGreaterThanOrEqual(1);
    } finally {
      await proxy.stop();
    }
  });

  it("mid-order: N orders with idempotency keys, resets while they are in flight, client retries: 0 lost, 0 duplicated", { timeout: 180_000 }, async () => {
    const n = scaled(24, 200);
    const resets = scaled(2, 6);
    const { proxy, edgeUrl } = await edgeProxy(12);
    try {
      const t = await liveTenant({ live: { callDeadlineMs: 3_000 } });
      await seedCatalog(t.tenantId, Array.from({ length: 40 }, (_, i) => article(i + 1)));
      const c = await t.startConnector("werk-1", { edgeUrl });
      proxy.shape({ latencyMs: 10, jitterMs: 20 });
      // Each create holds the ERP for a while, so resets land on calls in flight and queued.
      t.erp.setFaults({ perCallMs: 150 });
      const tokens = await Promise.all(["K10001", "K10002", "K10003", "K10004"].map((id) => t.customerToken(id)));
      const placing = Array.from({ length: n }, async (_, i) => {
        await sleep(i * 40);
        const body = { lines: [{ articleId: article(1 + (i % 40)), quantity: 1 + (i % 7) }], deliveryAddress: address, customerReference: `PO-${i}` };
        return placeWithRetries(t, tokens[i % tokens.length]!, body, randomUUID(), { limitMs: 20_000 });
      });
      const chaos = (async () => {
        for (let r = 0; r < resets; r++) {
          await waitUntil(() => c.client.status.inFlight > 0 && c.client.status.state === "open", 30_000, "a create in flight");
          proxy.resetAll();
          await sleep(300);
          // And a stall: the tunnel holds every byte for 700 ms, then delivers them in order.
          await waitUntil(() => c.client.status.state === "open", 30_000, "connector back");
          proxy.stall(700);
          await sleep(900);
        }
      })();
      const outcomes = await Promise.all(placing);
      await chaos;
      // A storefront that lost the answer sends the same request again: the key replays the same order.
      const resent = await Promise.all(outcomes.filter((_, i) => i % 3 === 0).map(async (o) => {
        const i = outcomes.indexOf(o);
        const body = { lines: [{ articleId: article(1 + (i % 40)), quantity: 1 + (i % 7) }], deliveryAddress: address, customerReference: `PO-${i}` };
        const again = await placeWithRetries(t, tokens[i % tokens.length]!, body, o.key, { limitMs: 20_000 });
        return again.orderId === o.orderId;
      }));
      const accepted = outcomes.filter((o) => o.orderId).map((o) => o.orderId!);
      // Everything accepted is created in the ERP once the tunnel is healthy (queued ones by hello or alarm).
      t.erp.setFaults({ perCallMs: 0 });
      await waitUntil(async () => (await connectors(t.tenantId)).ordersQueued === 0, 90_000, "outbox drained");
      const ledger = orderLedger(accepted, erpOrders(t).map((o) => o.external_ref));
      const hung = outcomes.reduce((s, o) => s + o.hung, 0);
      const unclear = outcomes.flatMap((o) => o.unclear);
      const notAccepted = outcomes.filter((o) => !o.orderId).length;
      recordScenario({
        suite: "faults", name: "connector reset mid-order (proxy RST, client retries)", passed: ledger.lost === 0 && ledger.duplicated === 0 && hung === 0 && notAccepted === 0 && unclear.length === 0 && resent.every(Boolean),
        faults: [`${proxy.stats.reset} connection resets with creates in flight`, `${resets} stalls of 700 ms`, "latency 10 ms + jitter 0-20 ms"], lostOrders: ledger.lost + notAccepted, duplicatedOrders: ledger.duplicated, hungRequests: hung,
        figures: { orders: n, accepted: accepted.length, erpOrders: erpOrders(t).length, clientAttempts: outcomes.reduce((s, o) => s + o.attempts, 0), clientResends: resent.length, resets: proxy.stats.reset },
      });
      expect(unclear).toEqual([]);
      expect(hung).toBe(0);
      expect(notAccepted).toBe(0);
      expect(resent.every(Boolean)).toBe(true);
      expect(new Set(accepted).size).toBe(n);
      expect(ledger).toEqual({ lost: 0, duplicated: 0 });
      expect(erpOrders(t)).toHaveLength(n);
      expect(proxy.stats.reset).toBeGreaterThanOrEqual(1);
    } finally {
      await proxy.stop();
    }
  });
});
