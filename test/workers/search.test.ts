import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { articles } from "../../schema/index.ts";
import type { FilterNode } from "../../schema/query-descriptor.ts";
import { openDatabase } from "../../workers/db/client.ts";
import { compileFilter } from "../../workers/search/compile.ts";
import { evaluateSearchFilter } from "../../workers/search/reference.ts";
import { fixture, loadFixture, rowOf } from "./search-fixture.ts";
import { call, createTenantWithKey, type ErrorEnvelope } from "./helpers.ts";

interface SearchBody {
  total: number;
  items: { articleId: string; score: number }[];
  facets: Record<string, { value: string; count: number }[]>;
  nextCursor: string | null;
  fuzzy: boolean;
  correctedQuery: string | null;
}

let a: { tenantId: string; key: string };
let b: { tenantId: string; key: string };
const handle = openDatabase(env);
const query = async (key: string, body: unknown) => call("/v1/catalog/query", { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });
const searchA = async (params: Record<string, string>) => {
  const res = await call(`/v1/catalog/search?${new URLSearchParams(params)}`, { headers: { authorization: `Bearer ${a.key}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as SearchBody;
};
const ids = (body: SearchBody) => body.items.map((i) => i.articleId);

beforeAll(async () => {
  a = await createTenantWithKey();
  b = await createTenantWithKey();
  await loadFixture(handle.db, a.tenantId);
  await loadFixture(handle.db, b.tenantId, "B-");
});
afterAll(() => handle.pool.end());

describe("German relevance (fixture of 200 articles)", () => {
  const cases: { name: string; q: string; first?: string; contains?: string[]; excludes?: string[]; before?: [string, string][]; corrected?: string }[] = [
    { name: "stemming: plural finds singular", q: "Schrauben", contains: ["R-SCHRAUBE", "R-EDELSTAHLSCHRAUBE"] },
    { name: "compound part, ranked below a whole-word match", q: "edelstahl", contains: ["R-EDELSTAHLSCHRAUBE"], before: [["R-EDELSTAHL-STAB", "R-EDELSTAHLSCHRAUBE"]] },
    { name: "exact article number first", q: "SW-M8X40-A2", first: "R-SW-M8X40", before: [["R-SW-M8X40", "R-SW-MENTION"]] },
    { name: "exact EAN first", q: "4006209000017", first: "R-SCHRAUBE" },
    { name: "exact manufacturer number first", q: "WR-0057-0840", first: "R-SCHRAUBE" },
    { name: "article-number prefix", q: "SW-M8", contains: ["R-SW-M8X40", "R-SW-M8X30"] },
    { name: "typo tolerance: the word, then the compounds that contain it", q: "shraube", first: "R-SCHRAUBE", before: [["R-SCHRAUBE", "R-EDELSTAHLSCHRAUBE"]], corrected: "schraube" },
    { name: "typo tolerance keeps the size asked for", q: "Sechskantshraube M8x40", contains: ["R-SW-M8X40"], excludes: ["R-SW-M8X30"], corrected: "Sechskantschraube M8x40" },
    { name: "typo tolerance spells the correction as the name does: Fusplatte", q: "Fusplatte", contains: ["R-FUSS"], corrected: "Fußplatte" },
    { name: "every word counts: A2 does not find A4", q: "Sechskantschraube M8x40 Edelstahl A2", contains: ["R-SW-M8X40"], excludes: ["R-SW-M8X40-A4"] },
    { name: "part of a size: M8 finds M8x50, not M10x40", q: "Sechskantschraube M8", contains: ["R-SW-M8X40", "R-SW-M8X30", "R-SW-M8X50"], excludes: ["R-SW-M10X40"] },
    { name: "one word in the attributes, another part of a name word", q: "Edelstahl Bauschraube", contains: ["R-HOLZBAU"] },
    { name: "inflection: Muttern finds Mutter", q: "Muttern", contains: ["R-MUTTER"] },
    { name: "ß and ss: Masse finds Maßen", q: "Masse", contains: ["R-MASSE"] },
    { name: "ß and ss: Fussplatte finds Fußplatte", q: "Fussplatte", contains: ["R-FUSS"] },
    { name: "a stop word spelled out is still a stop word: fuer", q: "Fussplatte fuer Pfosten", contains: ["R-FUSS"] },
    { name: "umlaut transliterated: Mueller finds Müller", q: "Mueller", contains: ["R-MUELLER"] },
    { name: "weighting: name > brand > attribute > description", q: "Bosch", before: [["R-BOSCH-NAME", "R-BOSCH-BRAND"], ["R-BOSCH-BRAND", "R-BOSCH-ATTR"], ["R-BOSCH-ATTR", "R-BOSCH-DESC"]] },
    { name: "equal scores break ties by article id", q: "Kabelbinder schwarz", before: [["R-TIE-A", "R-TIE-B"]] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const body = await searchA({ q: c.q, limit: "1000" });
      const got = ids(body);
      if (c.first) expect(got[0]).toBe(c.first);
      for (const id of c.contains ?? []) expect(got).toContain(id);
      for (const id of c.excludes ?? []) expect(got).not.toContain(id);
      for (const [x, y] of c.before ?? []) {
        expect(got).toContain(x);
        expect(got).toContain(y);
        expect(got.indexOf(x)).toBeLessThan(got.indexOf(y));
      }
      expect(body.fuzzy).toBe(c.corrected !== undefined);
      expect(body.correctedQuery).toBe(c.corrected ?? null);
    });
  }

  it("ranks the same way every time", async () => {
    const first = ids(await searchA({ q: "Sechskantschraube M8", limit: "100" }));
    for (let i = 0; i < 3; i++) expect(ids(await searchA({ q: "Sechskantschraube M8", limit: "100" }))).toEqual(first);
  });
});

describe("facets, filters and pagination", () => {
  it("counts facets over the whole match, equal to a reference GROUP BY", async () => {
    const filter: FilterNode = { field: "categoryId", op: "LIKE", value: "K1-%" };
    const body = (await (await query(a.key, { filter, facets: ["brand", "category", "attr:Material"], limit: 5 })).json()) as SearchBody;
    const matched = fixture.filter((f) => evaluateSearchFilter(filter, rowOf(f)));
    expect(body.total).toBe(matched.length);
    const ref = (values: (string | null | undefined)[]) => {
      const m = new Map<string, number>();
      for (const v of values) if (v) m.set(v, (m.get(v) ?? 0) + 1);
      return [...m].map(([value, count]) => ({ value, count })).sort((x, y) => y.count - x.count || (x.value < y.value ? -1 : 1));
    };
    expect(body.facets.brand).toEqual(ref(matched.map((f) => f.brand)).slice(0, 50));
    expect(body.facets.category).toEqual(ref(matched.flatMap((f) => f.categoryIds)).slice(0, 50));
    expect(body.facets["attr:Material"]).toEqual(ref(matched.map((f) => f.attributes.Material)).slice(0, 50));
  });

  it("counts each category of an article in several, as a reference GROUP BY over every (article, category)", async () => {
    const c = await createTenantWithKey();
    const line = (id: string, categoryIds: string[]) => ({ ...fixture[0]!, articleId: id, articleNumber: id, ean: null, categoryIds });
    const lines = [line("M-1", ["K1", "K1-01"]), line("M-2", ["K1", "K1-01"]), line("M-3", ["K1", "K2"]), line("M-4", ["K2"]), line("M-5", []), line("M-6", ["K3", "K1", "K2"])];
    await loadFixture(handle.db, c.tenantId, "", lines);
    const body = (await (await query(c.key, { q: "Schraube", facets: ["category"] })).json()) as SearchBody;
    expect(body.total).toBe(lines.length);
    expect(body.facets.category).toEqual([{ value: "K1", count: 4 }, { value: "K2", count: 3 }, { value: "K1-01", count: 2 }, { value: "K3", count: 1 }]);
  });

  it("combines text and filters", async () => {
    const body = (await (await query(a.key, { q: "Sechskantschraube", filter: { field: "attr:Gewinde", op: "EQ", value: "M8" }, limit: 100 })).json()) as SearchBody;
    expect(ids(body)).toContain("R-SW-M8X40");
    for (const id of ids(body)) expect(fixture.find((f) => f.articleId === id)!.attributes.Gewinde).toBe("M8");
  });

  for (const sort of ["relevance", "name", "articleNumber"] as const) {
    it(`returns every match exactly once across pages (sort ${sort})`, async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let total = 0;
      do {
        const body = (await (await query(a.key, { q: "schraube", sort, limit: 7, ...(cursor && { cursor }) })).json()) as SearchBody;
        total = body.total;
        seen.push(...ids(body));
        cursor = body.nextCursor;
      } while (cursor);
      expect(seen.length).toBe(total);
      expect(new Set(seen).size).toBe(total);
      expect(total).toBeGreaterThan(10);
    });
  }
});

// ---- descriptor compiler vs the reference evaluator -----------------------------------------

const brands = [...new Set(fixture.map((f) => f.brand).filter(Boolean))] as string[];
const leaf: fc.Arbitrary<FilterNode> = fc.oneof(
  fc.record({ field: fc.constant("brand" as const), op: fc.constantFrom("EQ" as const, "NE" as const, "GT" as const, "LTE" as const), value: fc.constantFrom(...brands.slice(0, 8), brands[0]!.toUpperCase(), "M") }),
  // Equality in any letter case, through the lower-case indexes (and one numeric operand, which cannot use them).
  fc.record({ field: fc.constantFrom("brand" as const, "articleNumber" as const, "manufacturerNumber" as const), op: fc.constant("IN" as const), values: fc.subarray([...brands.slice(0, 4).map((x) => x.toLowerCase()), "SW-M8X40", "sw-m8x30", "wr-0057-0840", "42", "a\"b,{NULL}\\"], { minLength: 1, maxLength: 4 }) }),
  fc.record({ field: fc.constant("categoryId" as const), op: fc.constant("IN" as const), values: fc.subarray(["k1-01-2", "K3-21-1", "K1-01-3", "nope"], { minLength: 1, maxLength: 3 }) }),
  fc.record({ field: fc.constant("name" as const), op: fc.constant("LIKE" as const), value: fc.constantFrom("%schraube%", "Sechskant%", "%A2", "%_8%") }),
  fc.record({ field: fc.constant("categoryId" as const), op: fc.constantFrom("EQ" as const, "NE" as const, "LIKE" as const), value: fc.constantFrom("K1-01-2", "k1-01-2", "K3-21-1", "K1-%") }),
  fc.record({ field: fc.constant("attr:Länge" as const), op: fc.constantFrom("GT" as const, "LT" as const, "EQ" as const, "GTE" as const), value: fc.constantFrom(30, 40, "40 mm", 100) }),
  fc.record({ field: fc.constant("attr:Material" as const), op: fc.constant("EXISTS" as const) }),
  // Attribute equality on text goes through the full-text prefilter (stop words, numbers and booleans do not).
  fc.record({ field: fc.constantFrom("attr:Material" as const, "attr:Oberfläche" as const, "attr:Festigkeitsklasse" as const), op: fc.constant("EQ" as const), value: fc.constantFrom("Edelstahl A2", "EDELSTAHL a4", "messing", "galvanisch verzinkt", "Feuerverzinkt", "A4-80", "8.8", "Stahl", "und", "true") }),
  fc.record({ field: fc.constantFrom("attr:Material" as const, "attr:Oberfläche" as const), op: fc.constant("IN" as const), values: fc.subarray(["Kunststoff", "stahl verzinkt", "BLANK", "brüniert", "ohne", "Titan"], { minLength: 1, maxLength: 4 }) }),
  fc.record({ field: fc.constant("ean" as const), op: fc.constant("IN" as const), values: fc.subarray(fixture.slice(0, 30).map((f) => f.ean!), { minLength: 1, maxLength: 5 }) }),
  fc.record({ field: fc.constant("articleNumber" as const), op: fc.constantFrom("GTE" as const, "LT" as const), value: fc.constantFrom("SW", "K", "M") }),
);
const tree = fc.letrec<{ node: FilterNode }>((tie) => ({
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, fc.record({ and: fc.array(tie("node"), { minLength: 1, maxLength: 3 }) }), fc.record({ or: fc.array(tie("node"), { minLength: 1, maxLength: 3 }) }), fc.record({ not: tie("node") })),
})).node;

describe("filter compiler", () => {
  it("gives exactly the rows the reference evaluator gives (property)", async () => {
    await fc.assert(
      fc.asyncProperty(tree, async (filter) => {
        const res = await query(a.key, { filter, limit: 1000 });
        expect(res.status).toBe(200);
        const got = ids((await res.json()) as SearchBody).sort();
        const expected = fixture.filter((f) => evaluateSearchFilter(filter, rowOf(f))).map((f) => f.articleId).sort();
        expect(got).toEqual(expected);
      }),
      { numRuns: 120, seed: 7 },
    );
  });

  it("answers equality on brand, category and numbers from an index, in any letter case", async () => {
    const filters: [FilterNode, string][] = [
      [{ field: "categoryId", op: "EQ", value: "k1-01-2" }, "articles_categories_lower_idx"],
      [{ field: "categoryId", op: "IN", values: ["K1-01-2", "K3-21-1"] }, "articles_categories_lower_idx"],
      [{ field: "brand", op: "EQ", value: brands[0]!.toUpperCase() }, "articles_brand_lower_idx"],
      [{ field: "manufacturerNumber", op: "IN", values: ["wr-0057-0840", "X"] }, "articles_mpn_lower_idx"],
    ];
    await handle.db.execute(sql`ANALYZE articles`);
    for (const [filter, index] of filters) {
      // With sequential scans priced out, the plan names the index only if the condition can use it.
      const plan = await handle.db.transaction(async (tx) => {
        await tx.execute(sql`SET LOCAL enable_seqscan = off`);
        const r = await tx.execute<{ "QUERY PLAN": string }>(sql`EXPLAIN SELECT count(*) FROM articles a WHERE a.tenant_id = ${a.tenantId} AND ${compileFilter(filter)}`);
        return r.rows.map((x) => x["QUERY PLAN"]).join("\n");
      });
      expect(plan, JSON.stringify(filter)).toContain(index);
    }
  });

  it("answers attribute equality through the full-text index, exactly, for any value", async () => {
    const c = await createTenantWithKey();
    const row = (articleId: string, attributes: Record<string, string | number | boolean>) => ({ tenantId: c.tenantId, articleId, rowversion: 1n, articleNumber: articleId, name: "Distanzhülse 10 mm", attributes });
    await handle.db.insert(articles).values([
      row("X1", { Beschichtung: "ohne", Material: "Edelstahl A2", Magnetisch: false }),
      row("X2", { Beschichtung: "mit Lack", Material: "edelstahl a4", Magnetisch: true }),
      row("X3", { Material: "Edelstahl", Gewicht: 40 }),
    ]);
    const cases: [FilterNode, string[]][] = [
      // A value of stop words only has no lexeme: it implies nothing about the document.
      [{ field: "attr:Beschichtung", op: "EQ", value: "OHNE" }, ["X1"]],
      [{ field: "attr:Material", op: "EQ", value: "EDELSTAHL A2" }, ["X1"]],
      [{ field: "attr:Material", op: "IN", values: ["edelstahl a4", "Edelstahl", "und"] }, ["X2", "X3"]],
      // Booleans and numbers are not in the document: they take the exact test alone.
      [{ field: "attr:Magnetisch", op: "EQ", value: "true" }, ["X2"]],
      [{ field: "attr:Gewicht", op: "EQ", value: 40 }, ["X3"]],
      [{ not: { field: "attr:Material", op: "EQ", value: "edelstahl" } }, ["X1", "X2"]],
    ];
    for (const [filter, expected] of cases) {
      const body = (await (await query(c.key, { filter, limit: 1000 })).json()) as SearchBody;
      expect(ids(body).sort(), JSON.stringify(filter)).toEqual(expected);
    }
    // The filter alone, with no text query or category beside it, is an index lookup (on the
    // fixture's tenant: a tenant of three articles is cheapest read by any index on tenant_id).
    await handle.db.execute(sql`ANALYZE articles`);
    const plan = await handle.db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL enable_seqscan = off`);
      const r = await tx.execute<{ "QUERY PLAN": string }>(sql`EXPLAIN SELECT count(*) FROM articles a WHERE a.tenant_id = ${a.tenantId} AND ${compileFilter({ field: "attr:Material", op: "IN", values: ["Edelstahl A2", "Messing"] })}`);
      return r.rows.map((x) => x["QUERY PLAN"]).join("\n");
    });
    expect(plan).toContain("articles_search_idx");
  });

  it("never returns another tenant's articles, whatever the filter", async () => {
    for (const filter of [{ field: "name", op: "LIKE", value: "%" }, { or: [{ field: "brand", op: "NE", value: "x" }, { not: { field: "brand", op: "NE", value: "x" } }] }, { not: { field: "ean", op: "EQ", value: "nothing" } }]) {
      const body = (await (await query(a.key, { filter, limit: 1000 })).json()) as SearchBody;
      expect(body.items.some((i) => i.articleId.startsWith("B-"))).toBe(false);
      expect(body.total).toBe(fixture.length);
    }
  });
});

describe("bad input on search", () => {
  it("treats any query string as text, never as SQL or tsquery syntax", async () => {
    for (const q of ["a & b | !c:*", "'; DROP TABLE articles; --", "\"unbalanced", "(((", "x".repeat(10_000), "\u0007ctl\u001b", "%_\\", "schraube:*  <->  mutter", "‮Ünïcödé ß"]) {
      const res = await call(`/v1/catalog/search?${new URLSearchParams({ q })}`, { headers: { authorization: `Bearer ${a.key}` } });
      expect(res.status, q.slice(0, 20)).toBe(200);
    }
    // NUL is the one character refused everywhere (Postgres text cannot hold it): a clear 400.
    const nul = await call(`/v1/catalog/search?${new URLSearchParams({ q: "\u0000ctl" })}`, { headers: { authorization: `Bearer ${a.key}` } });
    expect(nul.status).toBe(400);
    expect(((await nul.json()) as ErrorEnvelope).error.issues?.[0]).toEqual({ path: "q", message: "must not contain a NUL character" });
    const count = (await searchA({ q: "" })).total;
    expect(count).toBe(fixture.length);
  });

  it("names unknown filter fields and operators, and refuses a limit over 1,000", async () => {
    const unknownField = await query(a.key, { filter: { field: "password", op: "EQ", value: "x" } });
    expect(unknownField.status).toBe(400);
    const unknownOp = await query(a.key, { filter: { field: "brand", op: "REGEX", value: "x" } });
    expect(unknownOp.status).toBe(400);
    expect(JSON.stringify(await unknownOp.json())).toContain("filter");
    const notSearchable = (await (await query(a.key, { filter: { field: "listPrice", op: "GT", value: 1 } })).json()) as ErrorEnvelope;
    expect(notSearchable.error.issues?.[0]?.message).toMatch(/listPrice/);
    const limit = await call("/v1/catalog/search?limit=1001", { headers: { authorization: `Bearer ${a.key}` } });
    expect(limit.status).toBe(400);
    expect(((await limit.json()) as ErrorEnvelope).error.issues?.[0]?.path).toBe("limit");
    const badJson = await call(`/v1/catalog/search?${new URLSearchParams({ filter: "{nope" })}`, { headers: { authorization: `Bearer ${a.key}` } });
    expect(badJson.status).toBe(400);
  });
});

describe("search cache and OpenAPI", () => {
  it("serves repeated searches from the cache until the catalog version moves", async () => {
    const t = await createTenantWithKey();
    const db = openDatabase(env);
    try {
      const insert = (id: string) => db.db.insert(articles).values({ tenantId: t.tenantId, articleId: id, rowversion: 1n, articleNumber: id, name: "Flügelmutter M10", attributes: {} });
      await insert("C-1");
      const ask = () => call(`/v1/catalog/search?q=${encodeURIComponent("Flügelmutter")}`, { headers: { authorization: `Bearer ${t.key}` } });
      const first = await ask();
      expect(first.headers.get("x-search-cache")).toBe("miss");
      expect(((await first.json()) as SearchBody).total).toBe(1);
      await new Promise((r) => setTimeout(r, 50));
      await insert("C-2");
      const cached = await ask();
      expect(cached.headers.get("x-search-cache")).toBe("hit");
      expect(((await cached.json()) as SearchBody).total).toBe(1);
      await db.pool.query(`UPDATE tenants SET catalog_version = catalog_version + 1 WHERE tenant_id = $1`, [t.tenantId]);
      const fresh = await ask();
      expect(fresh.headers.get("x-search-cache")).toBe("miss");
      expect(((await fresh.json()) as SearchBody).total).toBe(2);
    } finally {
      await db.pool.end();
    }
  });

  it("describes the REST API as OpenAPI generated from the zod schemas", async () => {
    const res = await call("/v1/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>>; components: { schemas: Record<string, { properties?: Record<string, { maximum?: number; maxItems?: number }>; anyOf?: unknown[] }> } };
    expect(doc.openapi).toBe("3.1.0");
    for (const p of ["/v1/catalog/search", "/v1/catalog/query", "/v1/prices", "/v1/stock", "/v1/orders", "/v1/orders/{orderId}", "/v1/admin/tenants/{tenantId}/sync"]) expect(doc.paths[p]).toBeDefined();
    expect(doc.paths["/v1/orders"]!.post).toMatchObject({
      parameters: [{ name: "Idempotency-Key", in: "header", required: true }],
      requestBody: { content: { "application/json": { schema: { $ref: "#/components/schemas/CreateOrderRequest" } } } },
      responses: { 201: {}, 202: {}, 409: {}, 422: {} },
    });
    expect(doc.components.schemas.CreateOrderRequest!.properties!.lines!.maxItems).toBe(1000);
    expect(doc.components.schemas.SearchRequest!.properties!.limit!.maximum).toBe(1000);
    expect(JSON.stringify(doc.components.schemas.FilterNode)).toContain("#/components/schemas/FilterNode");
    expect(doc.paths["/v1/catalog/query"]!.post!.requestBody).toMatchObject({ content: { "application/json": { schema: { $ref: "#/components/schemas/SearchRequest" } } } });
  });
});

describe("rate limiting", () => {
  it("answers 429 with Retry-After past the tenant's limit, without touching other tenants", async () => {
    const limited = await createTenantWithKey();
    const { status } = await import("./helpers.ts").then((h) => h.admin(`/tenants/${limited.tenantId}`, "PATCH", { config: { rateLimit: { requestsPerMinute: 20 } } }));
    expect(status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await call("/v1/catalog/articles", { headers: { authorization: `Bearer ${limited.key}` } })).status);
    expect(statuses.slice(0, 2)).toEqual([200, 200]);
    const last = await call("/v1/catalog/articles", { headers: { authorization: `Bearer ${limited.key}` } });
    expect(last.status).toBe(429);
    expect(Number(last.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await last.json()) as ErrorEnvelope).error.code).toBe("rate_limited");
    expect((await call("/v1/catalog/articles", { headers: { authorization: `Bearer ${a.key}` } })).status).toBe(200);
  });
});
