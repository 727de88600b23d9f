/** The same spelling-out as the `name_norm` column: lower case, ä -> ae, ö -> oe, ü -> ue, ß -> ss. */
export function normalize(s: string): string {
  return s.toLowerCase().replace(/ä/g, "ae").replace(/ö/g, "oe").replace(/ü/g, "ue").replace(/ß/g, "ss");
}

/** Longest query the search accepts; longer strings are cut, never passed whole to SQL. */
export const MAX_QUERY_CHARS = 200;

/**
 * Cleans user input: control characters become spaces, runs of space collapse. The result is
 * only ever used as a bind parameter (plainto_tsquery, LIKE patterns escaped), never as SQL.
 */
export function cleanQuery(raw: string): string {
  return raw
    .replace(/[\u0000-\u001f\u007f]/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, MAX_QUERY_CHARS);
}

/** Whether a spelled-out run of letters and digits is worth a substring match: 4 or more characters, a letter among them. */
export const isSubstringTerm = (t: string): boolean => t.length >= 4 && /[a-z]/.test(t);

/** Words worth a substring match (parts of compound words, isSubstringTerm), at most 5. */
export function substringTerms(q: string): string[] {
  return [...new Set(normalize(q).split(/[^a-z0-9]+/).filter(isSubstringTerm))].slice(0, 5);
}

/**
 * The query's words as typed, once each (in any case): split at spaces, punctuation around a
 * word dropped, punctuation inside kept ("SW-M8", "4,5x40" stay one word, as full-text search
 * reads them).
 */
export const queryWords = (q: string): string[] => {
  const words = q.split(/\s+/).map((w) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "")).filter(Boolean);
  return [...new Map(words.map((w) => [w.toLowerCase(), w])).values()];
};

/**
 * The words of Postgres' German stop list that have umlauts or ß (tsearch_data/german.stop),
 * spelled out as a query may type them ("fuer"): the list only knows "für", so "fuer" would
 * otherwise have to match as a word.
 */
const SPELLED_OUT_STOP_WORDS = new Set(["dass", "fuer", "koennen", "koennte", "ueber", "waehrend", "wuerde", "wuerden"]);
export const isSpelledOutStopWord = (n: string): boolean => SPELLED_OUT_STOP_WORDS.has(n);

/**
 * Whether a spelled-out query word may stand for part of a longer name word: 4 or more letters
 * ("schraube" in "Sechskantschraube"), or letters with digits ("m8" in "M8x40"). Shorter words
 * and plain numbers ("A", "DIN", "912") match whole words only.
 */
export const partOfWords = (n: string): boolean => /^[a-z0-9]+$/.test(n) && /[a-z]/.test(n) && (n.length >= 4 || (n.length >= 2 && /\d/.test(n)));

/** Escapes LIKE wildcards so user text matches literally. */
export const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Whether the query looks like an article / EAN / manufacturer number rather than words. */
export const looksLikeNumber = (q: string) => /\d/.test(q) && !/\s/.test(q.trim());
