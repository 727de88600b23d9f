import { type SQL, sql } from "drizzle-orm";
import type { FilterNode } from "../../schema/query-descriptor.ts";
import type { FacetCounts } from "../../schema/search.ts";
import type { Database } from "../db/client.ts";
import { codeAt, fromBase64, fromGaps, indexableWord, isTerm, MAX_INDEXED_QUERY_WORDS, ORDINAL_CHUNK } from "./index-format.ts";
import { exactNumber, textMatch } from "./match.ts";
import { looksLikeNumber, queryWords } from "./normalize.ts";
import { type After, FACET_VALUES, itemJson, type SearchItem } from "./statement.ts";
import { IsolateCache } from "./isolate-cache.ts";

/**
 * One word's matches at a version (schema/search-index.ts): a common word's as a bitmap with the
 * set bits before each byte, a rarer word's as its match numbers (ascending); the codes of the
 * matches in number order either way.
 */
type WordEntry = ({ bits: Uint8Array; before: Uint32Array } | { ords: Int32Array }) & {
  matches: number;
  width: number;
  codes: Uint8Array;
  ranks: number[];
};

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
 * the words' matches plus the articles whose number is the query, each scored by adding up its
 * words' ranks as the database does. Undefined when the index cannot answer: a word that is
 * not indexable or not indexed at this version, a query of one word with a digit (also an
 * article-number prefix), a facet without a column, a filter other than one category, or an
 * article the index does not number (the catalog moved since it was built).
 *
 * Round trips: the entries and columns this isolate does not hold yet (one statement), then
 * the page's rows together with the articles whose number is the query (almost never any: a
 * page that such an article changes is ranked and fetched once more), and with a cursor first
 * the number of its article.
 */
export async function answerFromIndex(db: Database, tenantId: string, version: number, q: string, opts: IndexQuery): Promise<IndexAnswer | undefined> {
  const words = queryWords(q).map((w) => w.toLowerCase());
  // One word with a digit ("M10x40") is an article-number prefix too, which the index does not hold.
  if (words.length === 0 || words.length > MAX_INDEXED_QUERY_WORDS || !words.every(indexableWord) || looksLikeNumber(q)) return undefined;
  const category = opts.filter === undefined ? undefined : categoryOf(opts.filter);
  if (opts.filter !== undefined && category === undefined) return undefined;
  const facets = category === undefined || opts.facets.includes("category") ? opts.facets : [...opts.facets, "category"];
  const loaded = await loadIndex(db, tenantId, version, words, facets);
  if (!loaded) return undefined;
  const columns = new Map(facets.map((f, i) => [f, loaded.columns[i]!]));
  const keep = category === undefined ? undefined : inCategory(columns.get("category")!, category);
  let after: { k: number; ord: number } | undefined;
  if (opts.after) {
    const ord = await numberOfId(db, tenantId, version, opts.after.id);
    if (ord === undefined) return undefined;
    after = { k: Number(opts.after.k), ord };
  }
  const terms = words.map(isTerm);
  let exact = new Map<number, number>();
  // Twice at most, unless those articles change between the reads: then the database answers.
  for (let attempt = 0; attempt < 3; attempt++) {
    const matched = intersect(loaded.entries, terms, exact, keep);
    const page = topOf(matched, opts.limit, after);
    const fetched = await pageAndNumbers(db, tenantId, version, q, page);
    if (!fetched) return undefined;
    const found = new Map([...fetched.exact].filter(([ord]) => !keep || keep(ord)));
    if (sameEntries(found, exact)) return { total: matched.n, items: fetched.items, facets: Object.fromEntries(opts.facets.map((f) => [f, countFacet(columns.get(f)!, matched.ords, matched.n)])) };
    exact = found;
  }
  return undefined;
}

export interface IndexQuery {
  facets: readonly string[];
  /** Rows to return (callers ask one more than they show). */
  limit: number;
  after: After | undefined;
  filter?: FilterNode | undefined;
}

const sameEntries = (a: Map<number, number>, b: Map<number, number>) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

/**
 * The category of a filter that is one category ("search within a category": the storefront's
 * category page with a query), if its id is plain ASCII, whose lower case is the same in
 * JavaScript as in Postgres (the filter compares case-insensitively, compile.ts).
 */
function categoryOf(f: FilterNode): string | undefined {
  if (!("field" in f) || f.field !== "categoryId" || f.op !== "EQ" || typeof f.value !== "string" || !/^[\x20-\x7e]+$/.test(f.value)) return undefined;
  return f.value.toLowerCase();
}

/** Whether article `ord` is in category `id` (lower case), by its category list. */
function inCategory(col: Column, id: string): (ord: number) => boolean {
  const lists = new Uint8Array(col.groups!.map((list) => (list.some((v) => col.values[v]!.toLowerCase() === id) ? 1 : 0)));
  const none = col.width === 1 ? 0xff : 0xffff;
  return (ord) => {
    const c = codeAt(col.codes, col.width, ord);
    return c !== none && lists[c] === 1;
  };
}

/** Matches as parallel arrays in number order: numbers and scores, the first `n` in use. */
interface Matched {
  ords: Int32Array;
  scores: Float64Array;
  n: number;
}

/**
 * The articles matching every word (`terms`: which words are substring terms), in number order,
 * scored as match.ts scores them (scoreOf); an article whose number is the query has the score
 * the database gave it. Driven by the rarest word held as numbers when there is one, else byte
 * by byte over the bitmaps.
 */
function intersect(entries: readonly WordEntry[], terms: readonly boolean[], exact: Map<number, number>, keep: ((ord: number) => boolean) | undefined): Matched {
  const cap = Math.min(...entries.map((e) => e.matches)) + exact.size;
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
  const at = new Int32Array(entries.length);
  const lists = entries.filter((e): e is Extract<WordEntry, { ords: Int32Array }> => "ords" in e);
  if (lists.length > 0) {
    const driver = lists.reduce((a, b) => (b.matches < a.matches ? b : a));
    const cursors = new Int32Array(entries.length);
    for (const ord of driver.ords) {
      if ((keep && !keep(ord)) || !entries.every((e, k) => (at[k] = positionOf(e, ord, cursors, k)) >= 0)) continue;
      push(ord, scoreOf(entries, terms, at));
    }
  } else {
    const bitmaps = entries as readonly Extract<WordEntry, { bits: Uint8Array }>[];
    const bytes = bitmaps[0]!.bits.length;
    for (let i = 0; i < bytes; i++) {
      let m = 0xff;
      for (const e of bitmaps) if (!(m &= e.bits[i]!)) break;
      if (!m) continue;
      for (let bit = 0; bit < 8; bit++) {
        if (!(m & (128 >> bit)) || (keep && !keep(i * 8 + bit))) continue;
        for (let k = 0; k < bitmaps.length; k++) at[k] = bitPosition(bitmaps[k]!, i, bit);
        push(i * 8 + bit, scoreOf(entries, terms, at));
      }
    }
  }
  for (; p < pending.length; p++) (ords[n] = pending[p]!), (scores[n++] = exact.get(pending[p]!)!);
  return { ords, scores, n };
}

/**
 * Where match `ord` is among entry `e`'s matches, -1 when it is not one of them; a list is read
 * forward from its cursor (`cursors[k]`), as the numbers asked for only grow.
 */
function positionOf(e: WordEntry, ord: number, cursors: Int32Array, k: number): number {
  if ("bits" in e) return e.bits[ord >> 3]! & (128 >> (ord & 7)) ? bitPosition(e, ord >> 3, ord & 7) : -1;
  let c = cursors[k]!;
  while (c < e.matches && e.ords[c]! < ord) c++;
  cursors[k] = c;
  return e.ords[c] === ord ? c : -1;
}

/** Where the set bit `bit` of byte `i` is among a bitmap's matches: the set bits before it. */
const bitPosition = (e: { bits: Uint8Array; before: Uint32Array }, i: number, bit: number): number => e.before[i]! + POPCOUNT[e.bits[i]! & (0xff00 >> bit) & 0xff]!;

/**
 * Each word's rank x10, added in query order (float addition is not associative), plus 3 when
 * the stem of every substring term is in the name (none when the query has no term: "a2 m8").
 */
function scoreOf(entries: readonly WordEntry[], terms: readonly boolean[], at: Int32Array): number {
  let score = 0;
  let termsInName = 0;
  let termCount = 0;
  for (let k = 0; k < entries.length; k++) {
    const e = entries[k]!;
    const c = codeAt(e.codes, e.width, at[k]!);
    score += e.ranks[c >> 1]! * 10;
    if (terms[k]) (termCount++, (termsInName += c & 1));
  }
  return score + (termCount > 0 && termsInName === termCount ? 3 : 0);
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

/** The number of article `id` at the version; undefined when the index does not hold it. */
async function numberOfId(db: Database, tenantId: string, version: number, id: string): Promise<number | undefined> {
  const r = await db.execute<{ ord: number | null }>(sql`SELECT ${numberOf(tenantId, version, sql`${id}::text`)} AS ord`);
  const ord = r.rows[0]?.ord;
  return ord === null || ord === undefined ? undefined : Number(ord);
}

/**
 * In one statement: the display rows of a page of article numbers, in page order (an article
 * deleted since the version was indexed is left out, as itemsByIds leaves it out), and the
 * articles whose number is the query with their index number and score; undefined when one of
 * those has no number.
 */
async function pageAndNumbers(db: Database, tenantId: string, version: number, q: string, page: { ord: number; score: number }[]): Promise<{ items: SearchItem[]; exact: Map<number, number> } | undefined> {
  const chunk = sql.raw(String(ORDINAL_CHUNK));
  const match = textMatch(tenantId, q)!;
  const r = await db.execute<{ items: { i: SearchItem; p: number }[]; exact: { ord: number | null; score: number }[] }>(sql`
    SELECT (SELECT coalesce(json_agg(json_build_object('i', ${itemJson(sql`0`)}, 'p', r.pos) ORDER BY r.pos), '[]')
        FROM unnest(${`{${page.map((p) => p.ord).join(",")}}`}::int[]) WITH ORDINALITY AS r(ord, pos)
        JOIN search_index_ordinals s ON s.tenant_id = ${tenantId} AND s.catalog_version = ${version} AND s.chunk = r.ord / ${chunk}
        JOIN articles a ON a.tenant_id = ${tenantId} AND a.article_id = s.article_ids[r.ord % ${chunk} + 1] AND a.deleted_at IS NULL) AS items,
      (SELECT coalesce(json_agg(json_build_object('ord', ${numberOf(tenantId, version, sql`a.article_id`)}, 'score', ${match.score})), '[]')
        FROM articles a WHERE a.tenant_id = ${tenantId} AND a.deleted_at IS NULL AND ${exactNumber(q)}) AS exact`);
  const row = r.rows[0]!;
  if (row.exact.some((e) => e.ord === null)) return undefined;
  return {
    items: row.items.map(({ i, p }) => ({ ...i, score: page[p - 1]!.score, categoryIds: i.categoryIds ?? [] })),
    exact: new Map(row.exact.map((e) => [Number(e.ord), Number(e.score)])),
  };
}

/**
 * The entries of `words` and the columns of `facets`, from the isolate's cache or, for those it
 * does not hold, in one statement; undefined when one of them is not in the index of this version.
 */
async function loadIndex(db: Database, tenantId: string, version: number, words: readonly string[], facets: readonly string[]): Promise<{ entries: WordEntry[]; columns: Column[] } | undefined> {
  const id = (kind: string, k: string) => `${tenantId}\u0000${version}\u0000${kind}\u0000${k}`;
  const missingWords = words.filter((w) => !cache.has(id("word", w)));
  const missingFacets = facets.filter((f) => !cache.has(id("column", f)));
  if (missingWords.length + missingFacets.length > 0) {
    // Rows, not one JSON of them: Postgres builds a 6 MB JSON of three columns in 60-85 ms, the rows in ~20.
    const r = await db.execute<IndexRow>(sql`
      SELECT 'word' AS kind, word AS key, matches, width, ranks, NULL::text[] AS "values", NULL::jsonb AS groups,
          encode(bits, 'base64') AS bits, encode(gaps, 'base64') AS gaps, encode(codes, 'base64') AS codes
        FROM search_index_words WHERE tenant_id = ${tenantId} AND catalog_version = ${version} AND ${inList(sql`word`, missingWords)}
      UNION ALL
      SELECT 'column', facet, NULL, width, NULL, facet_values, groups, NULL, NULL, encode(codes, 'base64')
        FROM search_index_columns WHERE tenant_id = ${tenantId} AND catalog_version = ${version} AND ${inList(sql`facet`, missingFacets)}`);
    const entries = new Map(r.rows.filter((row) => row.kind === "word").map((row) => [row.key, toEntry(row)]));
    const columns = new Map(r.rows.filter((row) => row.kind === "column").map((row) => [row.key, toColumn(row)]));
    // A word or facet the index does not have is remembered too, so it is not asked for again.
    for (const w of missingWords) cacheValue(id("word", w), entries.get(w) ?? null);
    for (const f of missingFacets) cacheValue(id("column", f), columns.get(f) ?? null);
  }
  const entries = words.map((w) => cache.get(id("word", w)));
  const columns = facets.map((f) => cache.get(id("column", f)));
  if (entries.some((e) => !e) || columns.some((c) => !c)) return undefined;
  return { entries: entries as WordEntry[], columns: columns as Column[] };
}

const inList = (col: SQL, keys: readonly string[]) => (keys.length === 0 ? sql`false` : sql`${col} IN (${sql.join(keys.map((k) => sql`${k}`), sql`, `)})`);

function cacheValue(key: string, v: WordEntry | Column | null): void {
  cache.set(key, v, v === null ? 64 : "values" in v ? v.codes.length + v.values.length * 32 : ("bits" in v ? v.bits.length * 5 : v.ords.length * 4) + v.codes.length);
}

/** A row of the index as loadIndex reads it: a word's entry or a facet's column, bytes as base64. */
type IndexRow = {
  kind: "word" | "column";
  /** The word, or the facet. */
  key: string;
  width: number;
  codes: string;
  /** A word's: its matches and ranks, and one of bits and gaps (the other null). */
  matches: number | null;
  ranks: number[] | null;
  bits: string | null;
  gaps: string | null;
  /** A column's. */
  values: string[] | null;
  groups: number[][] | null;
};

function toEntry(row: IndexRow): WordEntry {
  const common = { matches: row.matches!, width: row.width, codes: fromBase64(row.codes), ranks: row.ranks! };
  if (row.gaps !== null) return { ...common, ords: fromGaps(fromBase64(row.gaps), common.matches) };
  const bits = fromBase64(row.bits!);
  const before = new Uint32Array(bits.length);
  for (let i = 1; i < bits.length; i++) before[i] = before[i - 1]! + POPCOUNT[bits[i - 1]!]!;
  return { ...common, bits, before };
}

const toColumn = (row: IndexRow): Column => ({ values: row.values!, groups: row.groups, width: row.width, codes: fromBase64(row.codes) });
