import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { AlarmSchedule } from "../../durable-objects/alarms.ts";
import type { TenantSession } from "../../durable-objects/tenant-session.ts";
import { newCustomerSigningKey, signCustomerToken } from "../../scripts/local/customer-keys.ts";
import { openDatabase } from "../../workers/db/client.ts";
import { admin, call, uniqueTenantId } from "./helpers.ts";

const wants = (state: DurableObjectState) =>
  Object.fromEntries(state.storage.sql.exec<{ owner: string; at: number }>(`SELECT owner, at FROM alarm_wants`).toArray().map((r) => [r.owner, r.at]));

async function until(cond: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("the TenantSession's one alarm, shared by sync and order delivery", () => {
  it("stays at the earliest want; only the parts whose time has come are woken", async () => {
    const stub = env.TENANT_SESSION.get(env.TENANT_SESSION.idFromName(uniqueTenantId("alarm")));
    await runInDurableObject(stub, async (_instance: TenantSession, state) => {
      const s = new AlarmSchedule(state.storage);
      const now = Date.now();
      await s.set("sync", now + 60_000);
      expect(await state.storage.getAlarm()).toBe(now + 60_000);
      await s.set("orders", now + 1_000);
      expect(await state.storage.getAlarm()).toBe(now + 1_000);
      await s.setEarliest("orders", now + 5_000); // later than its want: no change
      expect(s.wantOf("orders")).toBe(now + 1_000);
      await s.setEarliest("sync", now + 30_000); // earlier: taken
      expect(s.wantOf("sync")).toBe(now + 30_000);

      expect(s.takeDue(now + 2_000)).toEqual(["orders"]);
      expect(wants(state)).toEqual({ sync: now + 30_000 });
      await s.arm();
      expect(await state.storage.getAlarm()).toBe(now + 30_000);
      await s.clear("sync");
      expect(await state.storage.getAlarm()).toBeNull();
    });
  });

  it("an order retry at its time leaves the sync run's time alone", async () => {
    const tenantId = uniqueTenantId("alarm-orders");
    const { privateJwk, publicJwk } = await newCustomerSigningKey("k1");
    expect((await admin("/tenants", "POST", { tenantId, name: tenantId, config: { customerTokens: { issuer: tenantId, keys: [publicJwk] }, sync: { enabled: false } } })).status).toBe(201);
    const { key } = (await (await admin(`/tenants/${tenantId}/api-keys`, "POST", { name: "t" })).json()) as { key: string };
    const { pool } = openDatabase(env);
    await pool.query(`INSERT INTO articles (tenant_id, article_id, rowversion, article_number, name) VALUES ($1, '1000001', 1, 'SW-1', 'Schraube')`, [tenantId]);
    await pool.end();
    const headers = { authorization: `Bearer ${key}`, "x-customer-token": await signCustomerToken(privateJwk, tenantId, "K10001"), "content-type": "application/json" };
    const body = { lines: [{ articleId: "1000001", quantity: 2 }], deliveryAddress: { name: "Kunde", street: "Weg 1", postalCode: "12345", city: "Berlin", country: "DE" } };

    // No connector: the order is queued, and the order part of the alarm wants its retry. (No
    // scheduled sync for this tenant: the cron test, sharing this database, must not start one.)
    const res = await call("/v1/orders", { method: "POST", headers: { ...headers, "idempotency-key": "k-1" }, body: JSON.stringify(body) });
    expect(res.status).toBe(202);
    const { orderId } = (await res.json()) as { orderId: string };
    const attempts = async () => ((await (await call(`/v1/orders/${orderId}`, { headers })).json()) as { attempts: number }).attempts;
    expect(await attempts()).toBe(1);

    const stub = env.TENANT_SESSION.get(env.TENANT_SESSION.idFromName(tenantId));
    const syncAt = Date.now() + 600_000;
    await runInDurableObject(stub, (_i: TenantSession, state) => {
      expect(Object.keys(wants(state))).toEqual(["orders"]);
      // Pretend a sync run waits for its watchdog in ten minutes, and the order's retry is due now.
      state.storage.sql.exec(`INSERT INTO alarm_wants (owner, at) VALUES ('sync', ?)`, syncAt);
      state.storage.sql.exec(`UPDATE alarm_wants SET at = ? WHERE owner = 'orders'`, Date.now() - 1);
      state.storage.sql.exec(`UPDATE order_outbox SET next_attempt_at = ? WHERE order_id = ?`, Date.now() - 1, orderId);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await until(async () => (await attempts()) === 2, "the alarm's retry");
    await until(
      () => runInDurableObject(stub, async (_i: TenantSession, state) => {
        const w = wants(state);
        // Sync untouched; orders re-armed for the next backoff; the storage alarm at the earlier of the two.
        return w.sync === syncAt && w.orders !== undefined && w.orders > Date.now() && w.orders < syncAt && (await state.storage.getAlarm()) === w.orders;
      }),
      "alarm re-armed for the next retry",
    );
  });
});
