import { articles } from "../../schema/index.ts";
import type { Database } from "../../workers/db/client.ts";
import type { SearchRow } from "../../workers/search/reference.ts";
import fixtureText from "../fixtures/relevance.ndjson?raw";

/** One article of the relevance fixture (test/fixtures/relevance.ndjson). */
export interface FixtureLine {
  articleId: string;
  name: string;
  description: string;
  brand: string | null;
  ean: string | null;
  categoryIds: string[];
  attributes: Record<string, string>;
  articleNumber?: string;
  manufacturerNumber?: string;
}
export const fixture: FixtureLine[] = fixtureText.trim().split("\n").map((l) => JSON.parse(l) as FixtureLine);
export const rowOf = (f: FixtureLine): SearchRow => ({ name: f.name, description: f.description, brand: f.brand, ean: f.ean, articleNumber: f.articleNumber ?? f.articleId, manufacturerNumber: f.manufacturerNumber ?? null, categoryIds: f.categoryIds, attributes: f.attributes });

/** Loads the fixture (or `lines`) as the tenant's synced articles, ids prefixed (to tell tenants apart). */
export async function loadFixture(db: Database, tenantId: string, prefix = "", lines: readonly FixtureLine[] = fixture): Promise<void> {
  await db.insert(articles).values(
    lines.map((f, i) => ({
      tenantId, articleId: `${prefix}${f.articleId}`, rowversion: BigInt(i + 1), articleNumber: f.articleNumber ?? f.articleId, name: f.name, description: f.description,
      brand: f.brand, ean: f.ean, manufacturerNumber: f.manufacturerNumber ?? null, categoryIds: f.categoryIds, attributes: f.attributes,
    })),
  );
}
