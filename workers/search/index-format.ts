import { isSpelledOutStopWord, normalize } from "./normalize.ts";

/** Article ids to a row of search_index_ordinals: ~1.5 KB, so a row stays inline and uncompressed. */
export const ORDINAL_CHUNK = 128;
/** The code of "no value" in a facet column (all ones; 255 in a one-byte column). */
export const NONE = 0xffff;
/** Words a query may have to be answered from the index: the ones the database expands (match.ts). */
export const MAX_INDEXED_QUERY_WORDS = 5;

/**
 * A word the index can stand for: letters only, 4 or more once spelled out. Such a word is
 * matched as typed or as part of a name word (expandedWord), ranked on its own (wordRank) and
 * is its own substring term (substringTerms): everything a query does with it is per word.
 */
export const indexableWord = (w: string): boolean => /^[a-zäöüß]+$/.test(w) && /^[a-z]{4,}$/.test(normalize(w)) && !isSpelledOutStopWord(normalize(w));

/** Bytes from hex text, as `encode(x, 'hex')` gives them (the driver's bytea parsing is not relied on). */
export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0, j = 0; i < out.length; i++, j += 2) out[i] = (nibble(hex.charCodeAt(j)) << 4) | nibble(hex.charCodeAt(j + 1));
  return out;
}
const nibble = (c: number) => (c <= 57 ? c - 48 : (c | 32) - 87);

/** The code at `i` of a column of `width`-byte big-endian codes. */
export const codeAt = (codes: Uint8Array, width: number, i: number): number => (width === 1 ? codes[i]! : (codes[2 * i]! << 8) | codes[2 * i + 1]!);
