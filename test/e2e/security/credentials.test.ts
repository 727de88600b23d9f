import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordScenario } from "../../support/scenario-log.ts";
import { adminHttp } from "../client.ts";
import { cleanupFixtures, waitUntil } from "../tenant-fixture.ts";
import { probe, tryConnectorUpgrade } from "./probe.ts";
import { RawTunnel } from "./raw-tunnel.ts";
import { type SecuredTenant, expectEnvelope, expectNoLeak, secretsOf, twoTenants, soakTimeout, recordFailures } from "./world.ts";

afterAll(cleanupFixtures);
recordFailures();

/** Loaded at run time: a static import would pull workerd-only types into the Node typecheck. */
const KEY_CACHE_MODULE = "../../../workers/lib/key-cache.ts";
const { KEY_CACHE_TTL_MS } = (await import(KEY_CACHE_MODULE)) as { KEY_CACHE_TTL_MS: number };

const presence = async (tenantId: string) =>
  (await adminHttp(`/tenants/${tenantId}/connectors`)).body.connectors as { connectorId: string; connected: boolean }[];

/** Replaces one `_`-separated part of a credential `b2x_<kind>_<tenant>_<id>_<secret>`. */
function withPart(credential: string, index: number, value: string): string {
  const parts = credential.split("_");
  // The tenant id may itself hold no underscores (ids are [a-z0-9-]), so the positions are fixed.
  parts[index] = value;
  return parts.join("_");
}

describe("security: connector tokens and revoked credentials", () => {
  let a: SecuredTenant;
  let b: SecuredTenant;
  beforeAll(async () => ({ a, b } = await twoTenants()), 120_000);

  it("refuses replayed, tampered and foreign connector tokens before any DO sees them", { timeout: soakTimeout(60_000) }, async () => {
    const token = await a.connectorToken("werk-7");
    const flip = (s: string) => s.slice(0, -1) + (s.endsWith("0") ? "1" : "0");
    const refused: Record<string, string | undefined> = {
      "no token": undefined,
      "tenant part swapped to B (replay for another tenant)": `Bearer ${withPart(token, 2, b.tenantId)}`,
      "token id swapped": `Bearer ${withPart(token, 3, "0123456789abcdef")}`,
      "secret altered": `Bearer ${flip(token)}`,
      "A's API key as connector token": `Bearer ${a.apiKey}`,
      "A's customer token": `Bearer ${a.customerTokenValue}`,
      "Basic scheme": `Basic ${Buffer.from(`x:${token}`).toString("base64")}`,
      "token twice": `Bearer ${token} ${token}`,
    };
    const bBefore = await presence(b.tenantId);
    for (const [name, auth] of Object.entries(refused)) {
      const res = await tryConnectorUpgrade(auth);
      expect(res.status, name).toBe(401);
      expectEnvelope(name, res.status, res.json);
      expectNoLeak(name, res.status, res.text, secretsOf(b));
    }
    // A's genuine token, but the connector claims another connector id: closed, never registered.
    const liar = await RawTunnel.open(token);
    liar.hello("werk-1");
    const mismatch = await liar.until((f) => f.body.case === "error");
    expect(mismatch?.body.case === "error" && mismatch.body.value.code).toBe("connector_mismatch");
    expect((await liar.waitClosed())?.code).toBe(4003);
    // A's genuine token used by a connector configured for tenant B: it lands in A's session only.
    const replay = await RawTunnel.open(token);
    replay.hello("werk-7");
    const welcome = await replay.until((f) => f.body.case === "welcome");
    expect(welcome?.body.case === "welcome" && welcome.body.value.tenantId).toBe(a.tenantId);
    replay.close();
    expect(await presence(b.tenantId)).toEqual(bBefore);
    recordScenario({ suite: "security", name: "connector token replay for another tenant or connector id", passed: true, badInputs: Object.keys(refused).length + 2 });
  });

  it("refuses a revoked API key at once in this isolate (bound elsewhere: the key cache TTL) and a revoked connector token", { timeout: soakTimeout(60_000) }, async () => {
    const issued = await adminHttp(`/tenants/${a.tenantId}/api-keys`, { method: "POST", json: { name: "to revoke" } });
    const key = issued.body.key as string;
    expect((await probe("/v1/session", { token: key })).status).toBe(200); // now cached
    const revoked = await adminHttp(`/tenants/${a.tenantId}/api-keys/${issued.body.keyId}`, { method: "DELETE" });
    expect(revoked.status).toBe(200);
    const started = Date.now();
    await waitUntil(async () => (await probe("/v1/session", { token: key })).status === 401, KEY_CACHE_TTL_MS + 5_000, "revoked key refused");
    const refusedAfterMs = Date.now() - started;
    expect(refusedAfterMs).toBeLessThanOrEqual(KEY_CACHE_TTL_MS + 5_000);
    for (const path of ["/v1/catalog/search?q=x", "/v1/stock", "/b2x.storefront.v1.CatalogService/Search"]) {
      const res = await probe(path, { token: key, method: path.startsWith("/v1/catalog") ? "GET" : "POST", ...(path === "/v1/stock" ? { json: { articleIds: ["1"] } } : path.includes("Service") ? { json: {} } : {}) });
      expect(res.status, path).toBe(401);
    }
    // The tenant's other key still works.
    expect((await probe("/v1/session", { token: a.apiKey })).status).toBe(200);

    // A revoked connector token cannot open a new tunnel.
    const ct = await adminHttp(`/tenants/${a.tenantId}/connector-tokens`, { method: "POST", json: { connectorId: "werk-8" } });
    expect((await tryConnectorUpgrade(`Bearer ${ct.body.token}`)).status).toBe(101);
    await adminHttp(`/tenants/${a.tenantId}/connector-tokens/${ct.body.tokenId}`, { method: "DELETE" });
    expect((await tryConnectorUpgrade(`Bearer ${ct.body.token}`)).status).toBe(401);
    recordScenario({ suite: "security", name: "revoked API key and connector token refused", passed: true, badInputs: 5, figures: { revokedKeyRefusedAfterMs: refusedAfterMs, keyCacheBoundMs: KEY_CACHE_TTL_MS } });
  });

  it("closes a connected tunnel whose token is revoked, so the revoked connector serves no further call", { timeout: soakTimeout(60_000) }, async () => {
    const ct = await adminHttp(`/tenants/${b.tenantId}/connector-tokens`, { method: "POST", json: { connectorId: "werk-9" } });
    const tunnel = await RawTunnel.open(ct.body.token);
    tunnel.hello("werk-9");
    expect(await tunnel.until((f) => f.body.case === "welcome")).toBeDefined();
    await adminHttp(`/tenants/${b.tenantId}/connector-tokens/${ct.body.tokenId}`, { method: "DELETE" });
    const closed = await tunnel.waitClosed(10_000);
    expect(closed?.code).toBe(4001);
    await waitUntil(async () => !(await presence(b.tenantId)).some((c) => c.connectorId === "werk-9" && c.connected));
    recordScenario({ suite: "security", name: "revoking a connector token closes its live tunnel", passed: true, badInputs: 1 });
  });

  it("refuses every credential of a disabled tenant and closes its open tunnels", { timeout: soakTimeout(30_000) }, async () => {
    const ct = await b.connectorToken("werk-5");
    const open = await RawTunnel.open(await b.connectorToken("werk-6"));
    open.hello("werk-6");
    expect(await open.until((f) => f.body.case === "welcome")).toBeDefined();
    const disabled = await adminHttp(`/tenants/${b.tenantId}`, { method: "PATCH", json: { disabled: true } });
    expect(disabled.status).toBe(200);
    await waitUntil(async () => (await probe("/v1/session", { token: b.apiKey })).status === 401, KEY_CACHE_TTL_MS + 5_000, "disabled tenant's key refused");
    expect((await tryConnectorUpgrade(`Bearer ${ct}`)).status).toBe(401);
    expect((await open.waitClosed(10_000))?.code).toBe(4001);
    recordScenario({ suite: "security", name: "disabled tenant's key and connector token refused, open tunnel closed", passed: true, badInputs: 3 });
  });
});
