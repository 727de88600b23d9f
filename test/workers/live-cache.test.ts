import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LiveCache } from "../../durable-objects/live/cache.ts";
import type { TenantSession } from "../../durable-objects/tenant-session.ts";
import { uniqueTenantId } from "./helpers.ts";

const TTL = 60_000;
const price = (unitPrice: number) => ({ articleId: "1000001", quantity: 1, unitPrice });
const stored = (state: DurableObjectState) =>
  state.storage.sql.exec<{ item: string; body: string; valid: number }>(`SELECT item, body, valid FROM live_cache WHERE kind = 'price' ORDER BY item`).toArray();

describe("the live cache writes behind the call", () => {
  it("prunes by age reading only the expired rows, not the whole table", async () => {
    const stub = env.TENANT_SESSION.get(env.TENANT_SESSION.idFromName(uniqueTenantId("cache-prune")));
    await runInDurableObject(stub, (_instance: TenantSession, state) => {
      const cache = new LiveCache(state.storage.sql);
      const now = Date.now();
      const entries = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ item: `${from + i}|1`, articleId: String(from + i), value: price(1) }));
      cache.put("price", "K1", entries(2_000_000, 300), now - 7_200_000);
      cache.put("price", "K1", entries(3_000_000, 1_500), now);
      // 1,800 rows, 300 of them older than the hour kept: those 300 go, and only they are read.
      const pruned = cache.prune(3_600_000, now);
      expect(pruned.deleted).toBe(300);
      expect(pruned.read).toBeLessThan(400);
      expect(state.storage.sql.exec(`SELECT count(*) AS n FROM live_cache`).one().n).toBe(1_500);
    });
  });

  it("answers from memory before the write, keeps invalidation of unwritten entries, and writes what it holds", async () => {
    const stub = env.TENANT_SESSION.get(env.TENANT_SESSION.idFromName(uniqueTenantId("cache")));
    await runInDurableObject(stub, (_instance: TenantSession, state) => {
      const cache = new LiveCache(state.storage.sql);
      cache.put("price", "K1", [{ item: "1000001|1", articleId: "1000001", value: price(10) }, { item: "1000002|1", articleId: "1000002", value: price(20) }]);
      // Nothing written on the call path ...
      expect(stored(state)).toEqual([]);
      // ... yet the entries answer, fresh, for their own scope only.
      const hit = cache.get<ReturnType<typeof price>>("price", "K1", ["1000001|1", "1000002|1", "1000003|1"], TTL);
      expect(hit.get("1000001|1")).toMatchObject({ value: { unitPrice: 10 }, fresh: true });
      expect(hit.has("1000003|1")).toBe(false);
      expect(cache.get("price", "K2", ["1000001|1"], TTL).size).toBe(0);
      // An ERP event for an article still in memory makes it stale there and when written.
      expect(cache.invalidate("price", ["1000001"])).toBe(1);
      expect(cache.get("price", "K1", ["1000001|1"], TTL).get("1000001|1")?.fresh).toBe(false);
      cache.flush();
      expect(stored(state)).toEqual([
        { item: "1000001|1", body: JSON.stringify(price(10)), valid: 0 },
        { item: "1000002|1", body: JSON.stringify(price(20)), valid: 1 },
      ]);
      // Written rows are read from SQLite as before; a later answer replaces an older one.
      cache.put("price", "K1", [{ item: "1000001|1", articleId: "1000001", value: price(11) }]);
      expect(cache.get<ReturnType<typeof price>>("price", "K1", ["1000001|1", "1000002|1"], TTL).get("1000001|1")).toMatchObject({ value: { unitPrice: 11 }, fresh: true });
      cache.flush();
      expect(stored(state)[0]).toMatchObject({ body: JSON.stringify(price(11)), valid: 1 });
    });
  });

  it("writes on its own within a second, so the entries outlive an eviction", async () => {
    const stub = env.TENANT_SESSION.get(env.TENANT_SESSION.idFromName(uniqueTenantId("cache-evict")));
    await runInDurableObject(stub, async (_instance: TenantSession, state) => {
      new LiveCache(state.storage.sql).put("price", "K1", [{ item: "1000001|1", articleId: "1000001", value: price(10) }]);
      // Poll for the timer's write (no assumption on how late a busy machine fires it).
      for (let i = 0; i < 400 && stored(state).length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      expect(stored(state)).toHaveLength(1);
    });
    await evictDurableObject(stub);
    await runInDurableObject(stub, (_instance: TenantSession, state) => {
      expect(new LiveCache(state.storage.sql).get("price", "K1", ["1000001|1"], TTL).get("1000001|1")).toMatchObject({ value: { unitPrice: 10 }, fresh: true });
    });
  });
});
