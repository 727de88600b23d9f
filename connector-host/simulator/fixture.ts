import { readFileSync } from "node:fs";
import { z } from "zod";
import type { ErpArticle, ErpAttribute } from "./types.ts";

/** One line of a fixture file (`--fixture file.ndjson`). */
export const fixtureArticleSchema = z
  .object({
    articleId: z.string().min(1).max(64),
    name: z.string().min(1).max(500),
    description: z.string().max(10_000).default(""),
    brand: z.string().max(200).nullable().default(null),
    ean: z.string().max(32).nullable().default(null),
    categoryIds: z.array(z.string().min(1).max(64)).max(50).default([]),
    attributes: z.record(z.string().min(1).max(200), z.union([z.string(), z.number(), z.boolean()])).default({}),
    articleNumber: z.string().max(64).optional(),
    manufacturerNumber: z.string().max(64).nullable().optional(),
    listPrice: z.number().min(0).optional(),
  })
  .strict();
export type FixtureArticle = z.output<typeof fixtureArticleSchema>;

/** Parses an NDJSON fixture; a bad line is reported with its line number and field. */
export function parseFixture(text: string, source = "fixture"): FixtureArticle[] {
  const out: FixtureArticle[] = [];
  const seen = new Set<string>();
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`${source}:${i + 1}: not valid JSON`);
    }
    const r = fixtureArticleSchema.safeParse(value);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw new Error(`${source}:${i + 1}: ${issue.path.join(".") || "(line)"}: ${issue.message}`);
    }
    if (seen.has(r.data.articleId)) throw new Error(`${source}:${i + 1}: duplicate articleId '${r.data.articleId}'`);
    seen.add(r.data.articleId);
    out.push(r.data);
  });
  return out;
}

export const loadFixture = (path: string) => parseFixture(readFileSync(path, "utf8"), path);

export function fixtureToRows(f: FixtureArticle, rowversion: number, changedAt: string): { article: ErpArticle; attributes: ErpAttribute[] } {
  return {
    article: {
      articleId: f.articleId,
      articleNumber: f.articleNumber ?? f.articleId,
      name: f.name,
      description: f.description,
      brand: f.brand,
      ean: f.ean,
      manufacturerNumber: f.manufacturerNumber ?? null,
      categoryIds: f.categoryIds,
      unit: "Stk",
      listPrice: f.listPrice ?? 9.99,
      rowversion,
      changedAt,
    },
    attributes: Object.entries(f.attributes).map(([key, value], position) => ({ key, value: String(value), unit: null, position })),
  };
}
