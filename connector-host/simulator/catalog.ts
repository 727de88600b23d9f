import { mix32, Rng } from "./prng.ts";
import type { ChildSet, ErpArticle, ErpAttribute, ErpCategory, ErpCrossRef, ErpMedia } from "./types.ts";
import {
  ADJECTIVES, ATTRIBUTE_UNITS, BRANDS, COLORS, COUNTRIES, DRIVES, GROUPS, LENGTHS, MATERIALS, PRODUCT_TYPES, STRENGTHS, SURFACES, THREADS, USES,
} from "./vocabulary.ts";

/** Generated article ids are 1000000 + index, so they sort numerically as strings. */
export const ARTICLE_ID_OFFSET = 1_000_000;
/** Base rows of the generated catalog carry this change time plus their index in seconds. */
const BASE_TIME = Date.UTC(2025, 0, 1);

const DIAMETERS = ["3,0", "3,5", "4,0", "4,5", "5,0", "6,0", "8,0", "10,0", "12,0", "14,0", "16,0"] as const;
const COMBOS = PRODUCT_TYPES.length * THREADS.length * LENGTHS.length * MATERIALS.length;
/** A multiplier coprime with COMBOS turns the index into a shuffled, bijective combination. */
const STRIDE = findCoprime(COMBOS, 7_919);

function findCoprime(n: number, start: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let s = start;
  while (gcd(s, n) !== 1) s++;
  return s;
}

export const articleIdOf = (index: number) => String(ARTICLE_ID_OFFSET + index);
export function indexOfArticleId(id: string): number | undefined {
  if (!/^\d{7,9}$/.test(id)) return undefined;
  const n = Number(id) - ARTICLE_ID_OFFSET;
  return n >= 1 ? n : undefined;
}

interface Shape {
  typeIndex: number;
  dimIndex: number;
  length: number;
  materialIndex: number;
  variant: number;
}

/** Index -> (type, dimension, length, material, variant): distinct combinations first. */
function shapeOf(index: number): Shape {
  const k = index - 1;
  let c = Number((BigInt(k % COMBOS) * BigInt(STRIDE)) % BigInt(COMBOS));
  const materialIndex = c % MATERIALS.length;
  c = Math.floor(c / MATERIALS.length);
  const lengthIndex = c % LENGTHS.length;
  c = Math.floor(c / LENGTHS.length);
  const dimIndex = c % THREADS.length;
  const typeIndex = Math.floor(c / THREADS.length);
  return { typeIndex, dimIndex, length: LENGTHS[lengthIndex]!, materialIndex, variant: Math.floor(k / COMBOS) };
}

function ean13(seed: number, index: number): string {
  const body = `40${String(mix32(seed, index, 3) % 100_000).padStart(5, "0")}${String(index % 100_000).padStart(5, "0")}`;
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(body[i]) * (i % 2 === 0 ? 1 : 3);
  return body + String((10 - (sum % 10)) % 10);
}

export const leafCategoryId = (typeIndex: number, materialIndex: number) => {
  const t = PRODUCT_TYPES[typeIndex]!;
  return `K${t.group + 1}-${String(typeIndex + 1).padStart(2, "0")}-${materialIndex + 1}`;
};

/** The generated article `index` (1-based) of catalog `seed`. */
export function generateArticle(seed: number, index: number, extra: { rowversion?: number; changedAt?: string } = {}): ErpArticle {
  const s = shapeOf(index);
  const type = PRODUCT_TYPES[s.typeIndex]!;
  const material = MATERIALS[s.materialIndex]!;
  const r = new Rng(mix32(seed, index, 1));
  const dim = type.threaded ? THREADS[s.dimIndex]! : DIAMETERS[s.dimIndex]!;
  const dimCode = dim.replace(",", ".");
  const brand = r.pick(BRANDS);
  const suffix = s.variant > 0 ? `-${s.variant}` : "";
  const surface = r.pick(SURFACES);
  const strength = r.pick(STRENGTHS);
  const name = `${type.noun} ${dim}x${s.length} ${material.name}${s.variant > 0 ? ` (${brand})` : ""}`;
  const description =
    `${cap(r.pick(ADJECTIVES))} ${type.noun} aus ${material.name} für ${r.pick(USES)} und ${r.pick(USES)}. ` +
    `${type.norm ? `Ausführung nach ${type.norm}, ` : ""}Oberfläche ${surface}, Festigkeitsklasse ${strength}. ` +
    `Lieferung in Packungen zu ${[10, 25, 50, 100, 200][r.int(5)]} Stück.`;
  const sizeFactor = (s.dimIndex + 1) * (1 + s.length / 100);
  const materialFactor = [1, 2.2, 3.1, 2.6, 1.8, 0.9, 0.7][s.materialIndex]!;
  const listPrice = Math.round((0.05 + sizeFactor * materialFactor * (0.04 + r.next() * 0.2) + type.group * 3.5) * 100) / 100;
  return {
    articleId: articleIdOf(index),
    articleNumber: `${type.code}-${dimCode}X${s.length}-${material.code}${suffix}`,
    name,
    description,
    brand,
    ean: ean13(seed, index),
    manufacturerNumber: mpn(mix32(seed, index, 4)),
    categoryIds: [leafCategoryId(s.typeIndex, s.materialIndex)],
    unit: "Stk",
    listPrice,
    rowversion: extra.rowversion ?? index,
    changedAt: extra.changedAt ?? new Date(BASE_TIME + index * 1000).toISOString(),
  };
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const mpn = (h: number) => {
  const d = String(h % 1_000_000_000).padStart(9, "0");
  return `${d.slice(0, 4)} ${d.slice(4, 7)} ${d.slice(7)}`;
};

/** Exactly 20 Merkmale per generated article (30M for 1.5M articles). */
export function generateAttributes(seed: number, index: number): ErpAttribute[] {
  const s = shapeOf(index);
  const type = PRODUCT_TYPES[s.typeIndex]!;
  const r = new Rng(mix32(seed, index, 2));
  const dim = type.threaded ? THREADS[s.dimIndex]! : DIAMETERS[s.dimIndex]!;
  const pairs: [string, string][] = [
    ["Material", MATERIALS[s.materialIndex]!.name],
    [type.threaded ? "Gewinde" : "Durchmesser", type.threaded ? dim : dim.replace(",0", "")],
    ["Länge", String(s.length)],
    ["Norm", type.norm ?? "Werksnorm"],
    ["Oberfläche", r.pick(SURFACES)],
    ["Festigkeitsklasse", r.pick(STRENGTHS)],
    ["Antrieb", r.pick(DRIVES)],
    ["Schlüsselweite", String(5 + s.dimIndex * 2)],
    ["Farbe", r.pick(COLORS)],
    ["Gewicht", String(Math.round((1 + s.dimIndex) * s.length * (0.2 + r.next())))],
    ["Verpackungseinheit", String([10, 25, 50, 100, 200][r.int(5)])],
    ["Ursprungsland", r.pick(COUNTRIES)],
    ["Zolltarifnummer", String(73_181_500 + r.int(900))],
    ["RoHS-konform", r.chance(0.9) ? "ja" : "nein"],
    ["REACH-konform", r.chance(0.95) ? "ja" : "nein"],
    ["Temperaturbereich", `-${20 + r.int(40)} bis +${80 + r.int(200)}`],
    ["Zugfestigkeit", String(400 + r.int(12) * 100)],
    ["Produktgruppe", GROUPS[type.group]!],
    ["Zulassung", r.pick(["CE", "DIBt", "ETA", "keine", "UKCA"])],
    ["Lieferantenartikelnummer", `L-${mix32(seed, index, 5) % 10_000_000}`],
  ];
  return pairs.map(([key, value], position) => ({ key, value, unit: ATTRIBUTE_UNITS[key] ?? null, position }));
}

export function generateMedia(seed: number, index: number): ErpMedia[] {
  const h = mix32(seed, index, 6);
  const id = articleIdOf(index);
  const images = 1 + (h % 3);
  const media: ErpMedia[] = Array.from({ length: images }, (_, k) => ({
    mediaId: `IMG-${k + 1}`,
    kind: "image",
    url: `https://media.enventa.local/articles/${id}/${k + 1}.jpg`,
    alt: `Produktbild ${k + 1}`,
    position: k,
  }));
  if (h % 10 < 3) media.push({ mediaId: "DB-1", kind: "datasheet", url: `https://media.enventa.local/articles/${id}/datenblatt.pdf`, alt: "Datenblatt", position: images });
  return media;
}

/** 0-3 references to other generated articles (accessories, replacements, similar). */
export function generateCrossRefs(seed: number, index: number, articleCount: number): ErpCrossRef[] {
  if (articleCount < 2) return [];
  const h = mix32(seed, index, 7);
  const n = h % 4;
  const kinds = ["accessory", "accessory", "similar", "replacement"] as const;
  const refs: ErpCrossRef[] = [];
  for (let k = 0; k < n; k++) {
    const target = 1 + ((index + 1 + (mix32(seed, index, 8, k) % (articleCount - 1))) % articleCount);
    if (target === index) continue;
    const ref = { kind: kinds[(h >>> (k * 2)) % kinds.length]!, targetArticleId: articleIdOf(target), position: k };
    if (!refs.some((r) => r.kind === ref.kind && r.targetArticleId === ref.targetArticleId)) refs.push(ref);
  }
  return refs;
}

export function baseChildSet<T>(index: number, items: T[]): ChildSet<T> {
  return { articleId: articleIdOf(index), rowversion: index, changedAt: new Date(BASE_TIME + index * 1000).toISOString(), items };
}

/** The category tree: product groups -> product types -> material variants (294 nodes). */
export function generateCategories(): ErpCategory[] {
  const out: ErpCategory[] = [];
  const at = new Date(BASE_TIME).toISOString();
  let rv = 0;
  GROUPS.forEach((group, g) => out.push({ categoryId: `K${g + 1}`, parentId: null, name: group, path: [`K${g + 1}`], position: g, rowversion: ++rv, changedAt: at }));
  PRODUCT_TYPES.forEach((type, t) => {
    const groupId = `K${type.group + 1}`;
    const typeId = `${groupId}-${String(t + 1).padStart(2, "0")}`;
    out.push({ categoryId: typeId, parentId: groupId, name: `${type.noun.replace(/e?$/, "")}${type.noun.endsWith("e") ? "en" : ""}`, path: [groupId, typeId], position: t, rowversion: ++rv, changedAt: at });
    MATERIALS.forEach((m, mi) => {
      const leaf = leafCategoryId(t, mi);
      out.push({ categoryId: leaf, parentId: typeId, name: `${type.noun} ${m.name}`, path: [groupId, typeId, leaf], position: mi, rowversion: ++rv, changedAt: at });
    });
  });
  return out;
}
