import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { encodeFrame, decodeFrame, PROTOCOL_VERSION } from "../../proto/tunnel.ts";
import { ROLLOUT_RINGS } from "../../schema/tenants.ts";
import { openDatabase } from "../../workers/db/client.ts";
import { RINGS } from "../../workers/router/rings.ts";
import { admin, call, json, tenantInRing } from "./helpers.ts";

type Session = { tenantId: string; ring: string };
type Envelope = { error: { code: string; message: string; requestId: string } };

describe("the router Worker in front of the rings", () => {
  it("knows the same rings as the schema", () => {
    expect([...RINGS]).toEqual([...ROLLOUT_RINGS]);
  });

  it("sends each tenant's key to its own ring, found from the key and KV alone", async () => {
    const a = await tenantInRing("canary", "ra");
    const b = await tenantInRing("stable", "rb");
    const c = await tenantInRing("early", "rc");
    for (const [t, ring] of [[a, "canary"], [b, "stable"], [c, "early"]] as const) {
      const res = await call("/v1/session", { headers: { authorization: `Bearer ${t.key}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-b2x-ring")).toBe(ring);
      // The ring's own Worker answered (its ROLLOUT_RING var), not just the router's header.
      expect(await json<Session>(res)).toMatchObject({ tenantId: t.tenantId, ring });
    }
    // The mapping the admin API published is what the router read.
    expect(await env.TENANT_RINGS.get(a.tenantId)).toBe("canary");
    expect(await env.TENANT_RINGS.get(b.tenantId)).toBe("stable");
  });

  it("ignores a ring override outside the admin API", async () => {
    const a = await tenantInRing("canary", "ro");
    const res = await call("/v1/session", { headers: { authorization: `Bearer ${a.key}`, "x-b2x-target-ring": "stable" } });
    expect(res.headers.get("x-b2x-ring")).toBe("canary");
    expect((await json<Session>(res)).ring).toBe("canary");
  });

  it("sends absent, malformed and unknown-tenant credentials to the default ring, which refuses them", async () => {
    const unknown = `b2x_sk_no-such-tenant_${"0".repeat(16)}_${"0".repeat(64)}`;
    const cases: Record<string, string>[] = [{}, { authorization: "Bearer nonsense" }, { authorization: `Bearer ${unknown}` }];
    for (const headers of cases) {
      const res = await call("/v1/session", { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("x-b2x-ring")).toBe("stable");
      const body = await json<Envelope>(res);
      expect(body.error.code).toBe("unauthorized");
      expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
    }
    const health = await call("/v1/health");
    expect(health.status).toBe(200);
    expect(health.headers.get("x-b2x-ring")).toBe("stable");
  });

  it("routes tenant-scoped admin calls to the tenant's ring (its Durable Object lives there)", async () => {
    const a = await tenantInRing("early", "radm");
    const move = await admin(`/tenants/${a.tenantId}/move`);
    expect(move.status).toBe(200);
    expect(move.headers.get("x-b2x-ring")).toBe("early");
    expect(await json<{ ring: string; phase: string }>(move)).toMatchObject({ ring: "early", phase: "open" });
    // Without the admin token the ring refuses it; the router never authenticates anything itself.
    const anon = await call(`/v1/admin/tenants/${a.tenantId}/move`);
    expect(anon.status).toBe(401);
    expect(anon.headers.get("x-b2x-ring")).toBe("early");
  });

  it("forwards the connector's WebSocket upgrade to the tenant's ring", async () => {
    const a = await tenantInRing("canary", "rws");
    const issued = await admin(`/tenants/${a.tenantId}/connector-tokens`, "POST", { connectorId: "werk-1" });
    const { token } = await json<{ token: string }>(issued);
    const res = await call("/v1/connector/connect", { headers: { upgrade: "websocket", authorization: `Bearer ${token}` } });
    expect(res.status).toBe(101);
    expect(res.headers.get("x-b2x-ring")).toBe("canary");
    const ws = res.webSocket!;
    ws.accept();
    const welcome = new Promise<string>((resolve) => {
      ws.addEventListener("message", (e) => resolve(decodeFrame(new Uint8Array(e.data as ArrayBuffer)).body.case ?? "none"));
    });
    ws.send(encodeFrame(0n, {
      case: "hello",
      value: { connectorId: "werk-1", protocolVersion: PROTOCOL_VERSION, version: "test", capabilities: [], businessUnits: ["default"], maxInFlightPerBusinessUnit: 1 },
    }));
    expect(await welcome).toBe("welcome");
    // Registered in the canary ring's TenantSession, not in the stable ring's.
    type Presence = { connectors: { connectorId: string; connected: boolean }[] };
    const canary = await json<Presence>(admin(`/tenants/${a.tenantId}/connectors`));
    expect(canary.connectors).toEqual([expect.objectContaining({ connectorId: "werk-1", connected: true })]);
    const stable = await json<Presence>(admin(`/tenants/${a.tenantId}/connectors`, "GET", undefined, "stable"));
    expect(stable.connectors).toEqual([]);
    ws.close(1000, "done");
  });

  it("each ring's cron starts sync runs for its own tenants only", async () => {
    const mine = await tenantInRing("canary", "cron-mine");
    const other = await tenantInRing("stable", "cron-other");
    // Service bindings can fire a cron on their target; the generated Fetcher type omits it.
    const ring = env.RING_CANARY as Fetcher & { scheduled(options: { cron: string; scheduledTime: number }): Promise<unknown> };
    await ring.scheduled({ cron: "*/5 * * * *", scheduledTime: Date.now() });
    // The handler works in waitUntil: wait for the canary tenant's run to appear.
    const { pool } = openDatabase(env);
    const runsOf = async () => (await pool.query(`SELECT tenant_id FROM sync_runs WHERE tenant_id = ANY($1)`, [[mine.tenantId, other.tenantId]])).rows;
    try {
      for (let i = 0; i < 200 && (await runsOf()).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await runsOf()).toEqual([{ tenant_id: mine.tenantId }]);
    } finally {
      await pool.end();
    }
  });
});
