import { afterEach, describe, expect, it } from "vitest";
import { recordScenario } from "../../support/scenario-log.ts";
import { adminHttp } from "../client.ts";
import { cleanupFixtures, liveTenant, waitUntil } from "../tenant-fixture.ts";
import { bounded, edgeProxy, scaled } from "./harness.ts";

afterEach(cleanupFixtures);

/** Heartbeat interval of the scenario's tenant (production default 30 s). */
const INTERVAL_MS = 1_000;
/** Room for the alarm, the admin poll and a loaded 2-core machine on top of 2 intervals. */
const SLACK_MS = 2_500;

interface Replica {
  connectorId: string;
  epoch: number;
  connected: boolean;
  lastHeartbeat: number | null;
}
const replicas = async (tenantId: string): Promise<Replica[]> => (await adminHttp(`/tenants/${tenantId}/connectors`)).body.connectors;

describe("faults: half-open tunnel (the proxy stops forwarding, no FIN, no RST)", () => {
  it("the edge detects it by heartbeat within 2 intervals and fails calls fast; the connector detects it too and reconnects", { timeout: 120_000 }, async () => {
    const rounds = scaled(1, 5);
    const { proxy, edgeUrl } = await edgeProxy(21);
    const figures: Record<string, number> = { heartbeatIntervalMs: INTERVAL_MS };
    let hung = 0;
    try {
      const t = await liveTenant({ connectorRegistration: { heartbeatIntervalMs: INTERVAL_MS }, live: { callDeadlineMs: 20_000 } });
      const c = await t.startConnector("werk-1", { edgeUrl, heartbeatMs: INTERVAL_MS });
      for (let round = 1; round <= rounds; round++) {
        await waitUntil(async () => (await replicas(t.tenantId)).some((r) => r.connected && r.lastHeartbeat !== null), 15_000, "a heartbeat seen by the edge");
        const before = (await replicas(t.tenantId)).find((r) => r.connected)!;
        const drops = c.client.status.silentDrops;
        // A call in flight when the flow goes dark: its 20 s deadline must not be what ends it.
        t.erp.setFaults({ perCallMs: 3_000 });
        const inFlight = bounded("/v1/stock", { method: "POST", json: { articleIds: ["1000001"] }, token: t.apiKey }, 30_000);
        await waitUntil(() => c.client.status.inFlight > 0, 10_000, "call at the connector");
        const darkAt = performance.now();
        expect(proxy.halfOpen()).toBe(1);

        await waitUntil(async () => !(await replicas(t.tenantId)).some((r) => r.epoch === before.epoch && r.connected), 2 * INTERVAL_MS + SLACK_MS + 5_000, "edge notices the silence");
        const edgeMs = performance.now() - darkAt;
        const pending = await inFlight;
        if (pending.hung) hung++;
        const pendingMs = pending.ms;
        // Until the connector is back: no waiting for a deadline, connector_offline at once.
        const offline = await bounded("/v1/stock", { method: "POST", json: { articleIds: ["1000002"] }, token: t.apiKey }, 10_000);
        if (offline.hung) hung++;

        t.erp.setFaults({ perCallMs: 0 });
        await waitUntil(() => c.client.status.silentDrops > drops, 4 * INTERVAL_MS + SLACK_MS + 5_000, "connector notices the silence");
        const connectorMs = performance.now() - darkAt;
        await waitUntil(async () => (await replicas(t.tenantId)).some((r) => r.connected && r.epoch > before.epoch), 30_000, "connector reconnected");
        const after = await bounded("/v1/stock", { method: "POST", json: { articleIds: ["1000003"] }, token: t.apiKey }, 20_000);
        if (after.hung) hung++;

        figures[`edgeDetectMs_${round}`] = Math.round(edgeMs);
        figures[`connectorDetectMs_${round}`] = Math.round(connectorMs);
        figures[`pendingCallEndedMs_${round}`] = Math.round(pendingMs);
        const ok = edgeMs <= 2 * INTERVAL_MS + SLACK_MS && !pending.hung && pending.status === 503 && !offline.hung && (offline.status === 200 || offline.body.error?.code === "connector_offline") && !after.hung && after.status === 200;
        recordScenario({
          suite: "faults", name: `half-open tunnel detected by heartbeat (round ${round})`, passed: ok, faults: ["half-open connector socket (no FIN/RST)"], hungRequests: hung,
          figures: { heartbeatIntervalMs: INTERVAL_MS, edgeDetectMs: Math.round(edgeMs), connectorDetectMs: Math.round(connectorMs), pendingCallEndedMs: Math.round(pendingMs), offlineAnswerMs: Math.round(offline.ms) },
        });
        expect(edgeMs).toBeLessThanOrEqual(2 * INTERVAL_MS + SLACK_MS);
        expect(pending.hung).toBe(false);
        // The call on the dead socket ended when the edge gave up on it, not at its deadline.
        expect(pending).toMatchObject({ status: 503, body: { error: { code: "connector_disconnected" } } });
        expect(pendingMs).toBeLessThan(2 * INTERVAL_MS + SLACK_MS + 3_000);
        expect(offline.hung).toBe(false);
        if (offline.status !== 200) {
          expect(offline).toMatchObject({ status: 503, body: { error: { code: "connector_offline" } } });
          expect(offline.ms).toBeLessThan(2_000);
        }
        expect(after).toMatchObject({ hung: false, status: 200 });
      }
      expect(hung).toBe(0);
    } finally {
      await proxy.stop();
    }
  });
});
