import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { MAX_FRAME_BYTES } from "../../../proto/tunnel.ts";
import { recordScenario } from "../../support/scenario-log.ts";
import { adminHttp } from "../client.ts";
import { cleanupFixtures, liveTenant } from "../tenant-fixture.ts";
import { probe } from "./probe.ts";
import { RawTunnel } from "./raw-tunnel.ts";
import { type SecuredTenant, expectEnvelope, scaled, twoTenants, soakTimeout, recordFailures } from "./world.ts";

afterAll(cleanupFixtures);
recordFailures();

/** The stack's MAX_BODY_BYTES (wrangler.toml). */
const MAX_BODY = 1024 * 1024;

/** A price for article 1000001 answers as the tenant's ERP says: the tenant's live path works. */
async function livePathWorks(t: SecuredTenant): Promise<void> {
  const res = await probe("/v1/prices", { token: t.apiKey, customer: t.customerTokenValue, json: { items: [{ articleId: "1000001", quantity: 1 }] } });
  expect(res.status, res.text).toBe(200);
  expect(res.json.items[0].unitPrice).toBe(t.erp.price(t.erp.customer(t.customer)!, "1000001", 1)!.unitPrice);
  expect((await probe("/v1/health")).status).toBe(200);
}

describe("security: size limits and rate limits", () => {
  let a: SecuredTenant;
  let b: SecuredTenant;
  beforeAll(async () => ({ a, b } = await twoTenants()), 120_000);

  it("answers 413 to oversized REST and Connect bodies, declared or streamed", { timeout: soakTimeout(60_000) }, async () => {
    const big = `{"items":[{"articleId":"${"x".repeat(MAX_BODY)}","quantity":1}]}`;
    const targets = ["/v1/prices", "/v1/stock", "/v1/orders", "/v1/catalog/query", "/b2x.storefront.v1.LiveService/GetPrices", "/b2x.storefront.v1.CatalogService/Search", "/v1/admin/tenants"];
    let tried = 0;
    let cutOff = 0;
    for (const path of targets) {
      const token = path.startsWith("/v1/admin") ? undefined : a.apiKey;
      const headers: Record<string, string> = { "content-type": "application/json", "idempotency-key": "big-1", ...(path.startsWith("/v1/admin") && { authorization: `Bearer ${inject("adminToken")}` }) };
      // Declared (content-length): the edge reads and drops the upload, then answers 413.
      const declared = await probe(path, { method: "POST", token, customer: a.customerTokenValue, headers, body: big });
      tried++;
      expect(declared.status, `declared ${path}: ${declared.text.slice(0, 200)}`).toBe(413);
      if (!path.includes("b2x.storefront")) {
        expectEnvelope(path, declared.status, declared.json);
        expect(declared.json.error.code).toBe("payload_too_large");
      }
      // Streamed (no content-length, 2 MiB): refused once the limit is crossed. The 413 may be
      // sent while the client is still writing and the server close the socket under it
      // (EPIPE/ECONNRESET at the client): refused either way, and never a 500.
      const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(ctrl) {
          if (sent > MAX_BODY * 2) return ctrl.close();
          sent += chunk.byteLength;
          ctrl.enqueue(chunk);
        },
      });
      tried++;
      try {
        const streamed = await probe(path, { method: "POST", token, customer: a.customerTokenValue, headers, body: stream, duplex: "half" });
        expect(streamed.status, `streamed ${path}: ${streamed.text.slice(0, 200)}`).toBe(413);
      } catch (err) {
        const code = ((err as { cause?: { code?: string } }).cause?.code ?? "") as string;
        expect(["EPIPE", "ECONNRESET", "UND_ERR_SOCKET"], `streamed ${path}: ${String(err)} ${code}`).toContain(code);
        cutOff++;
      }
    }
    // Long query strings and headers: refused cleanly, never a 500.
    for (const path of [`/v1/catalog/search?q=${"a".repeat(10_001)}`, `/v1/catalog/search?filter=${"[".repeat(5_000)}`, `/v1/catalog/articles/${"9".repeat(65)}`]) {
      const res = await probe(path, { token: a.apiKey });
      tried++;
      expect(res.status, path.slice(0, 60)).toBeGreaterThanOrEqual(400);
      expect(res.status, path.slice(0, 60)).toBeLessThan(500);
    }
    await livePathWorks(a);
    recordScenario({ suite: "security", name: "oversized REST and Connect bodies (declared and streamed), long query strings", passed: true, badInputs: tried, figures: { streamedCutOffBeforeAnswer: cutOff } });
  });

  it("survives oversized and huge-field tunnel frames; the tenant's live path keeps working", { timeout: soakTimeout(60_000) }, async () => {
    const token = await a.connectorToken("werk-big");
    const cases: { name: string; bytes: Uint8Array }[] = [
      { name: `${MAX_FRAME_BYTES + 1} bytes of zeros`, bytes: new Uint8Array(MAX_FRAME_BYTES + 1) },
      { name: "8 MiB of 0xff", bytes: new Uint8Array(8 * 1024 * 1024).fill(0xff) },
    ];
    let tried = 0;
    const outcomes: string[] = [];
    for (const c of cases) {
      const t = await RawTunnel.open(token);
      t.hello("werk-big");
      expect(await t.until((f) => f.body.case === "welcome")).toBeDefined();
      t.sendRaw(c.bytes);
      tried++;
      // Either an error frame or a close (1009 message too big): both are fine, silence is not.
      const err = await t.until((f) => f.body.case === "error", 10_000);
      const closed = err ? undefined : await t.waitClosed(10_000);
      expect(err ?? closed, `${c.name}: neither an error frame nor a close`).toBeDefined();
      outcomes.push(`${c.name}: ${err?.body.case === "error" ? err.body.value.code : `closed ${closed?.code}`}`);
      t.close();
      await livePathWorks(a);
    }
    // A frame under the limit whose fields are huge (3 MiB event payload, 100k capabilities).
    const t = await RawTunnel.open(token);
    t.hello("werk-big", { capabilities: Array.from({ length: 100_000 }, (_, i) => `erp.op${i}`) });
    t.send(0n, { case: "event", value: { kind: "article.changed", payloadJson: new TextEncoder().encode(JSON.stringify({ articleIds: Array.from({ length: 300_000 }, (_, i) => `A${i}`) })) } });
    tried += 2;
    await new Promise((r) => setTimeout(r, 500));
    t.close();
    await livePathWorks(a);
    const presence = await adminHttp(`/tenants/${a.tenantId}/connectors`);
    expect(presence.body.connectors.find((c: { connectorId: string }) => c.connectorId === "werk-1").connected).toBe(true);
    recordScenario({ suite: "security", name: "oversized and huge-field tunnel frames", passed: true, badInputs: tried, notes: outcomes.join("; ") });
  });

  it("holds the per-tenant rate limit under a flood: A gets 429 + Retry-After, B is unaffected", { timeout: soakTimeout(60_000) }, async () => {
    const perMinute = 600; // bucket of 60, refilled at 10/s
    const flooded = await liveTenant({ rateLimit: { requestsPerMinute: perMinute } });
    const floodSize = scaled(400, 4000);
    const started = Date.now();
    let next = 0;
    const statuses: number[] = [];
    const retryAfter: (string | null)[] = [];
    const victim: number[] = [];
    const flood = Promise.all(Array.from({ length: 32 }, async () => {
      while (next < floodSize) {
        next++;
        const res = await probe("/v1/session", { token: flooded.apiKey });
        statuses.push(res.status);
        if (res.status === 429) {
          retryAfter.push(res.headers.get("retry-after"));
          expect(res.json.error.code).toBe("rate_limited");
        }
      }
    }));
    // Tenant B, at the same time, at a normal pace.
    const calm = Promise.all(Array.from({ length: 4 }, async () => {
      while (next < floodSize) {
        victim.push((await probe("/v1/session", { token: b.apiKey })).status);
        await new Promise((r) => setTimeout(r, 5));
      }
    }));
    await Promise.all([flood, calm]);
    const seconds = (Date.now() - started) / 1000;
    const ok = statuses.filter((s) => s === 200).length;
    const limited = statuses.filter((s) => s === 429).length;
    expect(ok + limited, `other statuses: ${statuses.filter((s) => s !== 200 && s !== 429)}`).toBe(floodSize);
    expect(limited).toBeGreaterThan(0);
    // Never more than the bucket plus what refilled while the flood ran (+1 for rounding).
    expect(ok).toBeLessThanOrEqual(perMinute / 10 + Math.ceil((seconds * perMinute) / 60) + 1);
    for (const r of retryAfter) expect(Number(r)).toBeGreaterThanOrEqual(1);
    expect(victim.length).toBeGreaterThan(0);
    expect(victim.filter((s) => s !== 200)).toEqual([]);
    recordScenario({ suite: "security", name: "rate limit per tenant under a flood", passed: true, badInputs: floodSize, figures: { flood: floodSize, accepted: ok, limited, victimRequests: victim.length, victimFailures: 0, seconds: Number(seconds.toFixed(1)) } });
  });
});
