import { z } from "zod";
import { articleIdOf, generateArticle, generateAttributes, generateCrossRefs, generateMedia } from "./catalog.ts";
import { OrderBook } from "./orders.ts";
import { mix32, Rng } from "./prng.ts";
import type { ErpDatabase } from "./store.ts";
import type { ChildSet, ErpArticle, ErpAttribute } from "./types.ts";
import { WAREHOUSES } from "./vocabulary.ts";

export const mutationSpecSchema = z
  .object({
    /** Articles whose name, description and one attribute change. */
    change: z.int().min(0).max(1_000_000).default(0),
    /** New articles. */
    add: z.int().min(0).max(1_000_000).default(0),
    /** Articles deleted (tombstones for the article and its child rows). */
    delete: z.int().min(0).max(1_000_000).default(0),
    /** Articles whose list price changes. */
    prices: z.int().min(0).max(1_000_000).default(0),
    /** Articles whose stock changes in one warehouse. */
    stock: z.int().min(0).max(1_000_000).default(0),
    /** Open orders moved one status further. */
    advanceOrders: z.int().min(0).max(1_000_000).default(0),
    /** Chooses which articles are hit; the same seed on the same database hits the same ones. */
    seed: z.int().min(0).default(1),
  })
  .strict();
export type MutationSpec = z.input<typeof mutationSpecSchema>;

export interface MutationResult {
  changed: string[];
  added: string[];
  deleted: string[];
  prices: string[];
  stock: string[];
  advancedOrders: string[];
}

/** Picks `n` distinct live article ids at random (generated, added and fixture articles). */
function pickLive(erp: ErpDatabase, rng: Rng, n: number, exclude: Set<string>): string[] {
  const fixtureIds = erp.fixtureArticleIds();
  const space = erp.nextIndex - 1 + fixtureIds.length;
  const out: string[] = [];
  for (let attempts = 0; out.length < n && attempts < n * 50 + 1000; attempts++) {
    const k = rng.int(space);
    const id = k < erp.nextIndex - 1 ? articleIdOf(k + 1) : fixtureIds[k - (erp.nextIndex - 1)]!;
    if (exclude.has(id) || !erp.article(id)) continue;
    exclude.add(id);
    out.push(id);
  }
  return out;
}

/**
 * Changes the ERP's data in one transaction, as the ERP's users would between two syncs:
 * every change gets a new rowversion; deletions leave tombstones.
 */
export function mutate(erp: ErpDatabase, input: MutationSpec): MutationResult {
  const spec = mutationSpecSchema.parse(input);
  const rng = new Rng(mix32(erp.config.seed, spec.seed, erp.nextIndex, 99));
  return erp.transaction(() => {
    const now = new Date().toISOString();
    const used = new Set<string>();
    const result: MutationResult = { changed: [], added: [], deleted: [], prices: [], stock: [], advancedOrders: [] };

    for (const id of pickLive(erp, rng, spec.change, used)) {
      const article = erp.article(id)!;
      const rev = 1 + rng.int(1000);
      const baseName = article.name.replace(/ \(Rev\. \d+\)$/, "");
      erp.putOverlay("articles", id, { ...article, name: `${baseName} (Rev. ${rev})`, description: `${article.description} Überarbeitete Ausführung ${rev}.` }, now);
      const attrs = (erp.current("attributes", id) as ChildSet<ErpAttribute> | null) ?? { articleId: id, rowversion: 0, changedAt: now, items: [] };
      const items = attrs.items.map((a) => (a.key === "Farbe" || a.position === 8 ? { ...a, value: `${a.value} (Rev. ${rev})` } : a));
      if (!items.some((a) => a.key === "Revision")) items.push({ key: "Revision", value: String(rev), unit: null, position: items.length });
      erp.putOverlay("attributes", id, { ...attrs, items }, now);
      result.changed.push(id);
    }

    for (let k = 0; k < spec.add; k++) {
      const index = erp.takeNextIndex();
      const id = articleIdOf(index);
      const seed = erp.config.seed;
      erp.putOverlay("articles", id, generateArticle(seed, index), now);
      erp.putOverlay("attributes", id, { articleId: id, rowversion: 0, changedAt: now, items: generateAttributes(seed, index) }, now);
      erp.putOverlay("media", id, { articleId: id, rowversion: 0, changedAt: now, items: generateMedia(seed, index) }, now);
      erp.putOverlay("cross_references", id, { articleId: id, rowversion: 0, changedAt: now, items: generateCrossRefs(seed, index, Math.max(2, erp.config.articles)) }, now);
      result.added.push(id);
    }

    for (const id of pickLive(erp, rng, spec.prices, used)) {
      const article = erp.article(id) as ErpArticle;
      const listPrice = Math.max(0.01, Math.round(article.listPrice * (0.8 + rng.next() * 0.5) * 100) / 100);
      erp.putOverlay("articles", id, { ...article, listPrice }, now);
      result.prices.push(id);
    }

    for (const id of pickLive(erp, rng, spec.stock, new Set())) {
      erp.putStock(id, WAREHOUSES[rng.int(WAREHOUSES.length)]!.id, rng.chance(0.2) ? 0 : rng.int(1000));
      result.stock.push(id);
    }

    for (const id of pickLive(erp, rng, spec.delete, used)) {
      for (const entity of ["articles", "attributes", "media", "cross_references"] as const) erp.putOverlay(entity, id, null, now);
      result.deleted.push(id);
    }

    if (spec.advanceOrders > 0) result.advancedOrders = new OrderBook(erp).advance(spec.advanceOrders);
    return result;
  });
}
