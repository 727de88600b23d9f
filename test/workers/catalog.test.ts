import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { articles } from "../../schema/index.ts";
import { openDatabase } from "../../workers/db/client.ts";
import { call, createTenantWithKey } from "./helpers.ts";

const get = (path: string, key: string) => call(path, { headers: { authorization: `Bearer ${key}` } });

describe("catalog articles (synced master data)", () => {
  let a: { tenantId: string; key: string };
  let b: { tenantId: string; key: string };
  const handle = openDatabase(env);

  beforeAll(async () => {
    a = await createTenantWithKey();
    b = await createTenantWithKey();
    const row = (tenantId: string, i: number) => ({
      tenantId,
      articleId: `A${String(i).padStart(4, "0")}`,
      rowversion: BigInt(i),
      articleNumber: `SW-M${i}X40-A2`,
      name: `${tenantId} Sechskantschraube ${i}`,
      categoryIds: ["c-1"],
      attributes: { Gewinde: `M${i}` },
    });
    await handle.db.insert(articles).values(Array.from({ length: 25 }, (_, i) => row(a.tenantId, i)));
    await handle.db.insert(articles).values([row(b.tenantId, 0), { ...row(b.tenantId, 1), deletedAt: new Date() }]);
  });
  afterAll(() => handle.pool.end());

  it("pages through every article of the tenant exactly once with the keyset cursor", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(`/v1/catalog/articles?limit=10${cursor ? `&cursor=${cursor}` : ""}`, a.key);
      expect(res.status).toBe(200);
      const page = (await res.json()) as { articles: { articleId: string; name: string }[]; nextCursor: string | null };
      seen.push(...page.articles.map((x) => x.articleId));
      for (const art of page.articles) expect(art.name.startsWith(a.tenantId)).toBe(true);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
  });

  it("serves details by article id, never another tenant's, never a deleted one", async () => {
    const own = await get("/v1/catalog/articles/A0003", a.key);
    expect(own.status).toBe(200);
    expect(((await own.json()) as { attributes: Record<string, string> }).attributes).toEqual({ Gewinde: "M3" });
    expect((await get("/v1/catalog/articles/A0003", b.key)).status).toBe(404);
    expect((await get("/v1/catalog/articles/A0001", b.key)).status).toBe(404);
  });

  it("validates query parameters", async () => {
    const res = await get("/v1/catalog/articles?limit=5000", a.key);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { issues: { path: string }[] } }).error.issues[0]?.path).toBe("limit");
  });
});
