import { type SQL, sql } from "drizzle-orm";
import type { FacetCounts } from "../../schema/search.ts";
import type { Database } from "../db/client.ts";
import { codeAt, fromHex, indexableWord, MAX_INDEXED_QUERY_WORDS, ORDINAL_CHUNK } from "./index-format.ts";
import { exactNumber, textMatch } from "./match.ts";
import { queryWords } from "./normalize.ts";
import { type After, FACET_VALUES, itemJson, type SearchItem } from "./statement.ts";
import { IsolateCache } from "./isolate-cache.ts";

/** One word's matches at a version (schema/search-index.ts), with the set bits before each byte. */
interface WordEntry {
  bits: Uint8Array;
  before: Uint32Array;
  width: number;
  codes: Uint8Array;
  ranks: number[];
}

/** One facet's values by article number. */
interface Column {
  values: string[];
  groups: number[][] | null;
  width: number;
  codes: Uint8Array;
}

export interface IndexAnswer {
  total: number;
  /** The page, in relevance order (score, then article id). */
  items: SearchItem[];
  facets: FacetCounts;
}

/**
 * Entries and columns are read once per isolate and version, not per request: a common word's
 * entry is up to ~1 MB (bitmap and ranks), a column 1.5-3 MB at 1.5M articles. The budget keeps
 * the isolate well inside its 128 MB; the least recently used go first.
 */
const cache = new IsolateCache<WordEntry | Column | null>(48 * 1024 * 1024);

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => b.toString(2).replaceAll("0", "").length);

/**
 * A relevance-sorted page, the total and the facets of `q` from the word index of `version`,
 * the same as the database gives them (statement.ts `evaluate`): the matches are the AND of
 * the words' bitmaps plus the articles whose number is the query, each scored by adding up its
 * words' ranks as the database does. Undefined when the index cannot answer: a word that is
 * not indexable or not indexed at this version, a facet without a column, a filter, or an
 * article the index does not number (the catalog moved since it was built).
 */
export async function answerFromIndex(db: Database, tenantId: string, version: number, q: string, opts: { facets: readonly string[]; limit: number; after: After | undefined }): Promise<IndexAnswer | undefined> {
  const words = queryWords(q).map((w) => w.toLowerCase());
  if (words.length === 0 || words.length > MAX_INDEXED_QUERY_WORDS || !words.every(indexableWord)) return undefined;
  const entries = await loadAll(db, tenantId, version, "word", words);
  const columns = entries && (await loadAll(db, tenantId, version, "column", opts.facets));
  if (!entries || !columns) return undefined;
  const probe = await probeNumbers(db, tenantId, version, q, opts.after?.id);
  if (!probe) return undefined;
  const matched = intersect(entries as WordEntry[], probe.exact);
  const facets = Object.fromEntries(opts.facets.map((f, i) => [f, countFacet(columns[i] as Column, matched.ords, matched.n)]));
  const page = topOf(matched, opts.limit, opts.after && { k: Number(opts.after.k), ord: probe.cursor! });
  return { total: matched.n, items: await itemsByNumbers(db, tenantId, version, page), facets };
}

/** Matches as parallel arrays in number order: numbers and scores, the first `n` in use. */
interface Matched {
  ords: Int32Array;
  scores: Float64Array;
  n: number;
}

/**
 * The articles matching every word, scored as match.ts scores them: each word's rank x10,
 * added in query order (float addition is not associative), plus 3 when every word's stem is
 * in the name; an article whose number is the query has the score the database gave it.
 */
function intersect(entries: WordEntry[], exact: Map<number, number>): Matched {
  const cap = Math.min(...entries.map((e) => e.codes.length / e.width)) + exact.size;
  const ords = new Int32Array(cap);
  const scores = new Float64Array(cap);
  let n = 0;
  const pending = [...exact.keys()].sort((a, b) => a - b);
  let p = 0;
  const push = (ord: number, score: number) => {
    for (; p < pending.length && pending[p]! < ord; p++) (ords[n] = pending[p]!), (scores[n++] = exact.get(pending[p]!)!);
    if (pending[p] === ord) p++;
    ords[n] = ord;
    scores[n++] = exact.get(ord) ?? score;
  };
  const bytes = entries[0]!.bits.length;
  for (let i = 0; i < bytes; i++) {
    let m = 0xff;
    for (const e of entries) if (!(m &= e.bits[i]!)) break;
    if (!m) continue;
    for (let bit = 0; bit < 8; bit++) {
      if (!(m & (128 >> bit))) continue;
      let score = 0;
      let inName = true;
      for (const e of entries) {
        const c = codeAt(e.codes, e.width, e.before[i]! + POPCOUNT[e.bits[i]! & (0xff00 >> bit) & 0xff]!);
        score += e.ranks[c >> 1]! * 10;
        inName &&= (c & 1) === 1;
      }
      push(i * 8 + bit, score + (inName ? 3 : 0));
    }
  }
  for (; p < pending.length; p++) (ords[n] = pending[p]!), (scores[n++] = exact.get(pending[p]!)!);
  return { ords, scores, n };
}

/**
 * The first `limit` matches in relevance order (score descending, then number: numbers follow
 * article ids) after `after`. Scores take few distinct values (sums of a few ranks), so the
 * cut is found by counting per score, and only the matches above it are sorted.
 */
function topOf(m: Matched, limit: number, after: { k: number; ord: number } | undefined): { ord: number; score: number }[] {
  const keep = (i: number) => !after || m.scores[i]! < after.k || (m.scores[i] === after.k && m.ords[i]! > after.ord);
  const perScore = new Map<number, number>();
  for (let i = 0; i < m.n; i++) if (keep(i)) perScore.set(m.scores[i]!, (perScore.get(m.scores[i]!) ?? 0) + 1);
  let cut = -Infinity;
  let taken = 0;
  for (const s of [...perScore.keys()].sort((a, b) => b - a)) {
    cut = s;
    taken += perScore.get(s)!;
    if (taken >= limit) break;
  }
  const page: { ord: number; score: number }[] = [];
  let atCut = 0;
  const roomAtCut = limit - (taken - (perScore.get(cut) ?? 0));
  for (let i = 0; i < m.n; i++) {
    if (!keep(i) || m.scores[i]! < cut) continue;
    // Matches come in number order, so the first at the cut score are the ones the page shows.
    if (m.scores[i] === cut && atCut++ >= roomAtCut) continue;
    page.push({ ord: m.ords[i]!, score: m.scores[i]! });
  }
  return page.sort((a, b) => b.score - a.score || a.ord - b.ord);
}

/** A facet's counts over the matches: most frequent first, ties in value order, as the database lists them. */
function countFacet(col: Column, ords: Int32Array, n: number): FacetCounts[string] {
  const none = col.width === 1 ? 0xff : 0xffff;
  const perCode = new Uint32Array(col.groups ? col.groups.length : col.values.length);
  for (let i = 0; i < n; i++) {
    const c = codeAt(col.codes, col.width, ords[i]!);
    if (c !== none) perCode[c]!++;
  }
  let perValue = perCode;
  if (col.groups) {
    perValue = new Uint32Array(col.values.length);
    col.groups.forEach((list, code) => {
      for (const v of list) perValue[v]! += perCode[code]!;
    });
  }
  const present: number[] = [];
  perValue.forEach((count, v) => count > 0 && present.push(v));
  present.sort((a, b) => perValue[b]! - perValue[a]! || a - b);
  return present.slice(0, FACET_VALUES).map((v) => ({ value: col.values[v]!, count: perValue[v]! }));
}

/** The number of an article id at the version, NULL when the index does not hold it. */
const numberOf = (tenantId: string, version: number, id: SQL) => sql`(SELECT s.chunk * ${sql.raw(String(ORDINAL_CHUNK))} + array_position(s.article_ids, ${id}) - 1
  FROM search_index_ordinals s WHERE s.tenant_id = ${tenantId} AND s.catalog_version = ${version} AND s.article_ids[1] <= ${id}
  ORDER BY s.article_ids[1] DESC LIMIT 1)`;

/**
 * The articles whose number is the query (they match whatever the words), with their score and
 * index number, and the number of the cursor's article; undefined when one has none.
 */
async function probeNumbers(db: Database, tenantId: string, version: number, q: string, cursorId: string | undefined): Promise<{ exact: Map<number, number>; cursor: number | undefined } | undefined> {
  const match = textMatch(tenantId, q)!;
  const rows = await db.execute<{ ord: number | null; score: number | null; cursor: boolean }>(sql`
    SELECT ${numberOf(tenantId, version, sql`a.article_id`)} AS ord, ${match.score} AS score, false AS cursor
    FROM articles a WHERE a.tenant_id = ${tenantId} AND a.deleted_at IS NULL AND ${exactNumber(q)}
    ${cursorId === undefined ? sql`` : sql`UNION ALL SELECT ${numberOf(tenantId, version, sql`${cursorId}::text`)}, NULL, true`}`);
  if (rows.rows.some((r) => r.ord === null)) return undefined;
  const exact = new Map(rows.rows.filter((r) => !r.cursor).map((r) => [Number(r.ord), Number(r.score)]));
  const cursor = rows.rows.find((r) => r.cursor)?.ord;
  return { exact, cursor: cursor === undefined || cursor === null ? undefined : Number(cursor) };
}

/** Display rows of a page of article numbers, in page order. */
async function itemsByNumbers(db: Database, tenantId: string, version: number, page: { ord: number; score: number }[]): Promise<SearchItem[]> {
  if (page.length === 0) return [];
  const chunk = sql.raw(String(ORDINAL_CHUNK));
  const result = await db.execute<{ item: SearchItem; pos: number }>(sql`
    SELECT ${itemJson(sql`0`)} AS item, r.pos::int AS pos
    FROM unnest(${`{${page.map((p) => p.ord).join(",")}}`}::int[]) WITH ORDINALITY AS r(ord, pos)
    JOIN search_index_ordinals s ON s.tenant_id = ${tenantId} AND s.catalog_version = ${version} AND s.chunk = r.ord / ${chunk}
    JOIN articles a ON a.tenant_id = ${tenantId} AND a.article_id = s.article_ids[r.ord % ${chunk} + 1] AND a.deleted_at IS NULL
    ORDER BY r.pos`);
  // An article deleted since the version was indexed is left out, as itemsByIds leaves it out.
  return result.rows.map(({ item, pos }) => ({ ...item, score: page[Number(pos) - 1]!.score, categoryIds: item.categoryIds ?? [] }));
}

/**
 * Entries (kind "word") or columns ("column") of `keys`, from the isolate's cache or in one
 * statement; undefined when one of them is not in the index of this version.
 */
async function loadAll(db: Database, tenantId: string, version: number, kind: "word" | "column", keys: readonly string[]): Promise<(WordEntry | Column)[] | undefined> {
  const id = (k: string) => `${tenantId}\u0000${version}\u0000${kind}\u0000${k}`;
  const missing = keys.filter((k) => !cache.has(id(k)));
  if (missing.length > 0) {
    const list = sql.join(missing.map((k) => sql`${k}`), sql`, `);
    const loaded = kind === "word" ? await readWords(db, tenantId, version, list) : await readColumns(db, tenantId, version, list);
    for (const k of missing) {
      const v = loaded.get(k) ?? null;
      cache.set(id(k), v, v ? sizeOf(v) : 64);
    }
  }
  const out = keys.map((k) => cache.get(id(k)));
  return out.every((v): v is WordEntry | Column => v !== null && v !== undefined) ? out : undefined;
}

const sizeOf = (v: WordEntry | Column) => ("bits" in v ? v.bits.length * 5 + v.codes.length : v.codes.length + v.values.length * 32);

async function readWords(db: Database, tenantId: string, version: number, list: SQL): Promise<Map<string, WordEntry>> {
  const r = await db.execute<{ word: string; width: number; ranks: number[]; bits: string; codes: string }>(sql`
    SELECT word, width, ranks, encode(bits, 'hex') AS bits, encode(codes, 'hex') AS codes
    FROM search_index_words WHERE tenant_id = ${tenantId} AND catalog_version = ${version} AND word IN (${list})`);
  return new Map(
    r.rows.map((row) => {
      const bits = fromHex(row.bits);
      const before = new Uint32Array(bits.length);
      for (let i = 1; i < bits.length; i++) before[i] = before[i - 1]! + POPCOUNT[bits[i - 1]!]!;
      return [row.word, { bits, before, width: Number(row.width), codes: fromHex(row.codes), ranks: row.ranks.map(Number) }];
    }),
  );
}

async function readColumns(db: Database, tenantId: string, version: number, list: SQL): Promise<Map<string, Column>> {
  const r = await db.execute<{ facet: string; facet_values: string[]; groups: number[][] | null; width: number; codes: string }>(sql`
    SELECT facet, facet_values, groups, width, encode(codes, 'hex') AS codes
    FROM search_index_columns WHERE tenant_id = ${tenantId} AND catalog_version = ${version} AND facet IN (${list})`);
  return new Map(r.rows.map((row) => [row.facet, { values: row.facet_values, groups: row.groups, width: Number(row.width), codes: fromHex(row.codes) }]));
}
