import { isSpelledOutStopWord, isSubstringTerm, normalize, partOfWords } from "./normalize.ts";

/** Article ids to a row of search_index_ordinals: ~1.5 KB, so a row stays inline and uncompressed. */
export const ORDINAL_CHUNK = 128;
/** The code of "no value" in a facet column (all ones; 255 in a one-byte column). */
export const NONE = 0xffff;
/** Words a query may have to be answered from the index: the ones the database expands (match.ts). */
export const MAX_INDEXED_QUERY_WORDS = 5;

/**
 * A word the index can stand for: once spelled out one run of letters and digits that may be
 * part of a longer word (partOfWords: "edelstahl", "m10x40", "a2"), not a stop word. Such a word
 * is matched as typed or as part of a name word (expandedWord) and ranked on its own (wordRank);
 * one of 4 or more characters is its own substring term (isTerm), a shorter one is none:
 * everything a query does with it is per word.
 */
export const indexableWord = (w: string): boolean => /^[a-zäöüß0-9]+$/.test(w) && partOfWords(normalize(w)) && !isSpelledOutStopWord(normalize(w));

/** Whether an indexable word is one of the query's substring terms (substringTerms): the ones whose stem must be in the name for the bonus. */
export const isTerm = (w: string): boolean => isSubstringTerm(normalize(w));

/**
 * Bytes from `encode(x, 'base64')` (a third more than the bytes on the wire, against twice for
 * hex; its line breaks are whitespace atob skips). The driver's bytea parsing is not relied on.
 */
export function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The code at `i` of a column of `width`-byte big-endian codes. */
export const codeAt = (codes: Uint8Array, width: number, i: number): number => (width === 1 ? codes[i]! : (codes[2 * i]! << 8) | codes[2 * i + 1]!);

/** The `n` numbers whose gaps (unsigned LEB128, the first from -1) `bytes` holds. */
export function fromGaps(bytes: Uint8Array, n: number): Int32Array {
  const ords = new Int32Array(n);
  let ord = -1;
  let b = 0;
  for (let i = 0; i < n; i++) {
    let gap = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[b++]!;
      gap |= (byte & 127) << shift;
      if (byte < 128) break;
    }
    ords[i] = ord += gap;
  }
  return ords;
}
