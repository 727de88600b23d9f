import { randomUUID } from "node:crypto";
import { type JWK, SignJWT, base64url, importJWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newCustomerSigningKey } from "../../../scripts/local/customer-keys.ts";
import { recordScenario } from "../../support/scenario-log.ts";
import { adminHttp } from "../client.ts";
import { cleanupFixtures } from "../tenant-fixture.ts";
import { probe } from "./probe.ts";
import { type SecuredTenant, address, expectEnvelope, expectNoLeak, twoTenants, soakTimeout, recordFailures } from "./world.ts";

afterAll(cleanupFixtures);
recordFailures();

const now = () => Math.floor(Date.now() / 1000);
const b64 = (v: unknown) => base64url.encode(JSON.stringify(v));

/** Signs arbitrary claims with an ES256 JWK (or HS256 with raw bytes), header as given. */
async function sign(claims: Record<string, unknown>, key: JWK | Uint8Array, header: Record<string, unknown>): Promise<string> {
  const alg = key instanceof Uint8Array ? "HS256" : "ES256";
  return new SignJWT(claims).setProtectedHeader({ alg, ...header }).sign(key instanceof Uint8Array ? key : await importJWK(key, "ES256"));
}

describe("security: customer tokens (x-customer-token)", () => {
  let t: SecuredTenant;
  let other: SecuredTenant;
  beforeAll(async () => ({ a: t, b: other } = await twoTenants()), 120_000);

  it("refuses forged, expired, alg:none, wrong-key, wrong-issuer and malformed tokens on every customer route", { timeout: soakTimeout(60_000) }, async () => {
    const kid = t.privateJwk.kid!;
    const good = { sub: "K10004", iss: t.tenantId, iat: now(), exp: now() + 600 };
    const valid = await sign(good, t.privateJwk, { kid });
    const [h, p, s] = valid.split(".") as [string, string, string];
    const stranger = (await newCustomerSigningKey(kid)).privateJwk;
    const publicJwk = { ...t.privateJwk, d: undefined };
    const bad: Record<string, string> = {
      "payload swapped, signature kept (forged sub)": `${h}.${b64({ ...good, sub: "K10005" })}.${s}`,
      "signature bit flipped": `${h}.${p}.${s.slice(0, -4)}${s.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`,
      "signature stripped": `${h}.${p}.`,
      "alg none": `${b64({ alg: "none", typ: "JWT" })}.${p}.`,
      "alg none, kid kept": `${b64({ alg: "none", kid })}.${p}.`,
      "expired 10 minutes ago": await sign({ ...good, exp: now() - 600 }, t.privateJwk, { kid }),
      "not valid before 10 minutes from now": await sign({ ...good, nbf: now() + 600 }, t.privateJwk, { kid }),
      "no exp": await sign({ sub: "K10004", iss: t.tenantId }, t.privateJwk, { kid }),
      "no sub": await sign({ iss: t.tenantId, exp: now() + 600 }, t.privateJwk, { kid }),
      "sub with path characters": await sign({ ...good, sub: "../K10004" }, t.privateJwk, { kid }),
      "sub too long": await sign({ ...good, sub: "K".repeat(65) }, t.privateJwk, { kid }),
      "wrong key, same kid": await sign(good, stranger, { kid }),
      "wrong key, no kid": await sign(good, stranger, {}),
      "wrong issuer": await sign({ ...good, iss: other.tenantId }, t.privateJwk, { kid }),
      "no issuer": await sign({ sub: "K10004", exp: now() + 600 }, t.privateJwk, { kid }),
      "another tenant's valid token": other.customerTokenValue,
      "HS256 keyed with the public key (alg confusion)": await sign(good, new TextEncoder().encode(JSON.stringify(publicJwk)), { kid }),
      "embedded jwk header": `${b64({ alg: "ES256", jwk: { kty: "EC", crv: "P-256", x: stranger.x, y: stranger.y } })}.${p}.${(await sign(good, stranger, {})).split(".")[2]}`,
      "three dots only": "...",
      "not a JWT": "hello",
      "JSON instead of a JWT": '{"sub":"K10004"}',
      "huge": `${h}.${"A".repeat(6000)}.${s}`,
    };
    const routes = [
      { path: "/v1/prices", json: { items: [{ articleId: "1000001", quantity: 1 }] } },
      { path: "/v1/customers/me" },
      { path: `/v1/orders/${t.orderId}` },
      { path: "/v1/catalog/articles/1000001?include=price" },
      { path: "/v1/orders", json: { lines: [{ articleId: "1000001", quantity: 1 }], deliveryAddress: address }, headers: { "idempotency-key": randomUUID() } },
    ];
    const ordersBefore = t.erp.sql.prepare("SELECT count(*) AS n FROM orders").get();
    let tried = 0;
    for (const [name, token] of Object.entries(bad)) {
      for (const r of routes) {
        const res = await probe(r.path, { token: t.apiKey, customer: token, ...(r.json && { json: r.json }), ...(r.headers && { headers: r.headers }) });
        tried++;
        expect(res.status, `${name} on ${r.path}: ${res.text.slice(0, 200)}`).toBe(401);
        expect(res.json.error.code).toBe("unauthorized");
        expect(res.headers.get("www-authenticate")).toContain("Bearer");
        expectEnvelope(name, res.status, res.json);
        expectNoLeak(name, res.status, res.text, ["K10004", "K10005", t.erp.customer("K10004")!.name]);
      }
    }
    expect(t.erp.sql.prepare("SELECT count(*) AS n FROM orders").get()).toEqual(ordersBefore);
    // The control: the untampered token is accepted on the same routes.
    const ok = await probe("/v1/customers/me", { token: t.apiKey, customer: valid });
    expect(ok.status).toBe(200);
    expect(ok.json.customerId).toBe("K10004");
    // Within the documented 30 s clock tolerance a just-expired token still works; beyond, not.
    expect((await probe("/v1/customers/me", { token: t.apiKey, customer: await sign({ ...good, exp: now() - 5 }, t.privateJwk, { kid }) })).status).toBe(200);
    recordScenario({ suite: "security", name: "forged, expired, alg:none, wrong-key, wrong-issuer customer tokens", passed: true, badInputs: tried, lostOrders: 0, duplicatedOrders: 0, figures: { tokenKinds: Object.keys(bad).length } });
  });

  it("refuses a token for the wrong audience once the tenant requires one", { timeout: soakTimeout(30_000) }, async () => {
    const current = (await adminHttp(`/tenants/${other.tenantId}`)).body.config;
    const patched = await adminHttp(`/tenants/${other.tenantId}`, { method: "PATCH", json: { config: { ...current, customerTokens: { ...current.customerTokens, audience: "shop.example" } } } });
    expect(patched.status).toBe(200);
    const kid = other.privateJwk.kid!;
    const base = { sub: "K10004", iss: other.tenantId, exp: now() + 600 };
    const cases = { "no aud": base, "other aud": { ...base, aud: "evil.example" }, "aud list without it": { ...base, aud: ["a.example", "b.example"] } };
    for (const [name, claims] of Object.entries(cases)) {
      const res = await probe("/v1/customers/me", { token: other.apiKey, customer: await sign(claims, other.privateJwk, { kid }) });
      expect(res.status, name).toBe(401);
    }
    const ok = await probe("/v1/customers/me", { token: other.apiKey, customer: await sign({ ...base, aud: "shop.example" }, other.privateJwk, { kid }) });
    expect(ok.status).toBe(200);
    recordScenario({ suite: "security", name: "customer token for the wrong audience", passed: true, badInputs: Object.keys(cases).length });
  });

  it("refuses tokens of a rotated-out signing key (bound: the key cache TTL in other isolates)", { timeout: soakTimeout(30_000) }, async () => {
    const current = (await adminHttp(`/tenants/${other.tenantId}`)).body.config;
    const aud = current.customerTokens.audience as string | undefined;
    const old = await sign({ sub: "K10006", iss: other.tenantId, exp: now() + 600, ...(aud && { aud }) }, other.privateJwk, { kid: other.privateJwk.kid! });
    expect((await probe("/v1/customers/me", { token: other.apiKey, customer: old })).status).toBe(200); // verified and cached
    const next = await newCustomerSigningKey("rotated");
    const rotated = await adminHttp(`/tenants/${other.tenantId}`, { method: "PATCH", json: { config: { ...current, customerTokens: { ...current.customerTokens, audience: undefined, keys: [next.publicJwk] } } } });
    expect(rotated.status).toBe(200);
    const started = Date.now();
    while ((await probe("/v1/customers/me", { token: other.apiKey, customer: old })).status !== 401) {
      expect(Date.now() - started, "old key's token still accepted").toBeLessThan(15_000);
      await new Promise((r) => setTimeout(r, 50));
    }
    const refusedAfterMs = Date.now() - started;
    const fresh = await new SignJWT({}).setProtectedHeader({ alg: "ES256", kid: "rotated" }).setSubject("K10006").setIssuer(other.tenantId).setExpirationTime("10m").sign(await importJWK(next.privateJwk, "ES256"));
    expect((await probe("/v1/customers/me", { token: other.apiKey, customer: fresh })).status).toBe(200);
    recordScenario({ suite: "security", name: "customer tokens of a rotated-out signing key refused", passed: true, badInputs: 1, figures: { refusedAfterMs } });
  });

  it("gives customer X nothing of customer Y: prices are the token's customer's, Y's orders are 404", { timeout: soakTimeout(30_000) }, async () => {
    // t.orderId belongs to K10003 (world.ts). K10004 asks for it by both its ids.
    const x = await t.customerToken("K10004");
    let tried = 0;
    for (const id of [t.orderId, t.erpOrderNo]) {
      const res = await probe(`/v1/orders/${id}`, { token: t.apiKey, customer: x });
      tried++;
      expect(res.status, res.text).toBe(404);
      expectNoLeak("other customer's order", res.status, res.text, [`PO-${t.marker}`, "K10003"]);
    }
    // The customer is never taken from the body.
    for (const json of [{ customerId: "K10003", items: [{ articleId: "1000001", quantity: 1 }] }, { items: [{ articleId: "1000001", quantity: 1, customerId: "K10003" }] }]) {
      const res = await probe("/v1/prices", { token: t.apiKey, customer: x, json });
      tried++;
      expect(res.status).toBe(400);
    }
    const mine = await probe("/v1/prices", { token: t.apiKey, customer: x, json: { items: [{ articleId: "1000007", quantity: 3 }] } });
    const expected = t.erp.price(t.erp.customer("K10004")!, "1000007", 3)!;
    expect(mine.json).toMatchObject({ customerId: "K10004", items: [{ unitPrice: expected.unitPrice }] });
    recordScenario({ suite: "security", name: "customer X cannot read customer Y's orders or prices", passed: true, badInputs: tried });
  });
});
