import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordScenario } from "../../support/scenario-log.ts";
import { cleanupFixtures } from "../tenant-fixture.ts";
import { type Probe, probe } from "./probe.ts";
import { type SecuredTenant, expectEnvelope, expectNoLeak, scaled, secretsOf, twoTenants, soakTimeout, recordFailures } from "./world.ts";

afterAll(cleanupFixtures);
recordFailures();

/** Error codes a fuzzed request may legitimately get besides 4xx (the ERP answers live calls). */
const LIVE_5XX = new Set(["erp_error", "deadline_exceeded", "busy", "connector_offline", "connector_disconnected", "session_unavailable"]);

const RUNS = scaled(40, 400);

/** Values of every JSON type, deep and shallow, plus strings that attack parsers and SQL. */
const nasty = fc.oneof(
  fc.constantFrom("", " ", "'; DROP TABLE articles; --", "%", "_", "\\", "\u0000", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "../../etc/passwd", "1e309", "-0", "NaN", "__proto__", "constructor", "{}", "[]", "null", "A".repeat(70)),
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
);
const anyJson = fc.oneof({ weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }) }, { weight: 1, arbitrary: nasty });
const articleIdish = fc.oneof(fc.constantFrom("1000001", "1000002", "nope"), nasty);
const quantityish = fc.oneof(fc.integer({ min: -5, max: 2_000_000_000 }), fc.double(), nasty);

/** Bodies shaped like each route's (right keys, wrong values) and anything at all. */
const bodies: Record<string, fc.Arbitrary<unknown>> = {
  "/v1/prices": fc.oneof(anyJson, fc.record({ items: fc.oneof(fc.array(fc.record({ articleId: articleIdish, quantity: quantityish }, { requiredKeys: [] }), { maxLength: 5 }), anyJson) }, { requiredKeys: [] })),
  "/v1/stock": fc.oneof(anyJson, fc.record({ articleIds: fc.oneof(fc.array(articleIdish, { maxLength: 5 }), anyJson) }, { requiredKeys: [] })),
  "/v1/orders": fc.oneof(anyJson, fc.record({
    lines: fc.oneof(fc.array(fc.record({ articleId: articleIdish, quantity: quantityish }, { requiredKeys: [] }), { maxLength: 3 }), anyJson),
    deliveryAddress: fc.oneof(fc.record({ name: nasty, street: nasty, postalCode: nasty, city: nasty, country: fc.oneof(fc.constant("DE"), nasty) }, { requiredKeys: [] }), anyJson),
    customerReference: nasty,
  }, { requiredKeys: [] })),
  "/v1/catalog/query": fc.oneof(anyJson, fc.record({
    q: nasty,
    filter: fc.oneof(anyJson, fc.record({ field: fc.oneof(fc.constantFrom("brand", "attr:Material", "articleNumber", "name"), nasty), op: fc.oneof(fc.constantFrom("EQ", "IN", "LIKE", "GT", "BETWEEN"), nasty), value: anyJson }, { requiredKeys: [] }), fc.record({ and: fc.array(anyJson, { maxLength: 3 }) }), fc.record({ not: anyJson })),
    facets: fc.oneof(fc.array(fc.oneof(fc.constantFrom("brand", "category", "attr:Material"), nasty), { maxLength: 4 }), anyJson),
    sort: nasty, limit: quantityish, cursor: nasty,
  }, { requiredKeys: [] })),
  "/b2x.storefront.v1.LiveService/GetPrices": anyJson,
  "/b2x.storefront.v1.LiveService/CreateOrder": anyJson,
  "/b2x.storefront.v1.CatalogService/Search": fc.oneof(anyJson, fc.record({ q: nasty, limit: quantityish, facets: fc.array(nasty, { maxLength: 3 }) }, { requiredKeys: [] })),
  "/b2x.storefront.v1.CatalogService/GetArticle": fc.oneof(anyJson, fc.record({ articleId: articleIdish })),
};

/** Query strings: known parameters with hostile values, unknown ones, and raw garbage. */
const queryString = fc.oneof(
  fc.dictionary(fc.oneof(fc.constantFrom("q", "filter", "facets", "sort", "limit", "cursor", "include", "quantity"), fc.string({ maxLength: 10 })), fc.oneof(nasty.map(String), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v))), { maxKeys: 5 })
    .map((d) => new URLSearchParams(d as Record<string, string>).toString()),
  fc.string({ unit: "binary", maxLength: 120 }).map((s) => encodeURI(s.replace(/[\uD800-\uDFFF]/g, ""))),
);
const getPaths = ["/v1/catalog/search", "/v1/catalog/articles", "/v1/catalog/articles/1000001"];

describe("security: fuzzed REST and Connect bodies and query strings (fast-check)", () => {
  let a: SecuredTenant;
  let b: SecuredTenant;
  let tried = 0;
  beforeAll(async () => ({ a, b } = await twoTenants()), 120_000);
  afterAll(() => {
    if (tried > 0) recordScenario({ suite: "security", name: "fuzzed REST/Connect bodies and query strings", passed: true, badInputs: tried });
  });

  /** Never a 500 or an unknown 5xx, never a stack trace, never tenant B's data; errors in the envelope. */
  function judge(what: string, res: Probe, sent: string): void {
    tried++;
    expectNoLeak(what, res.status, res.text, secretsOf(b), secretsOf(a), sent);
    if (res.status >= 500) expect(LIVE_5XX.has(res.json?.error?.code ?? res.json?.code), `${what}: ${res.status} ${res.text.slice(0, 300)}`).toBe(true);
    if (!what.includes("b2x.storefront")) expectEnvelope(what, res.status, res.json);
  }

  for (const [path, arb] of Object.entries(bodies)) {
    it(`POST ${path}`, { timeout: soakTimeout(120_000) }, async () => {
      const headers = { "idempotency-key": "fuzz-key", "connect-protocol-version": "1" };
      await fc.assert(
        fc.asyncProperty(arb, fc.boolean(), async (body, asText) => {
          // Half the time the raw text (possibly not JSON at all when it is a string).
          const text = asText && typeof body === "string" ? body : JSON.stringify(body) ?? "null";
          const res = await probe(path, { method: "POST", token: a.apiKey, customer: a.customerTokenValue, headers: { ...headers, "content-type": "application/json" }, body: text });
          judge(`POST ${path} ${text.slice(0, 120)}`, res, text);
        }),
        { numRuns: RUNS },
      );
    });
  }

  it("GET with fuzzed query strings and path ids", { timeout: soakTimeout(120_000) }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...getPaths), queryString, async (path, qs) => {
        const url = `${path}?${qs}`;
        const res = await probe(url, { token: a.apiKey, customer: a.customerTokenValue });
        judge(`GET ${url.slice(0, 160)}`, res, decodeURIComponentSafe(url));
      }),
      { numRuns: RUNS * 3 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", minLength: 1, maxLength: 80 }), async (id) => {
        const clean = id.replace(/[\uD800-\uDFFF]/g, "") || "x";
        for (const path of [`/v1/catalog/articles/${encodeURIComponent(clean)}`, `/v1/orders/${encodeURIComponent(clean)}`]) {
          const res = await probe(path, { token: a.apiKey, customer: a.customerTokenValue });
          judge(`GET ${path.slice(0, 160)}`, res, clean);
          expect([200, 400, 404]).toContain(res.status);
        }
      }),
      { numRuns: RUNS },
    );
    expect((await probe("/v1/health")).status).toBe(200);
  });
});

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return s;
  }
}
