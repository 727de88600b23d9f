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

/** Words worth a substring match (parts of compound words): letters only, at least 4 of them. */
export function substringTerms(q: string): string[] {
  return [...new Set(normalize(q).split(/[^a-z0-9]+/).filter((t) => t.length >= 4 && /[a-z]/.test(t)))].slice(0, 5);
}

/** Escapes LIKE wildcards so user text matches literally. */
export const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Whether the query looks like an article / EAN / manufacturer number rather than words. */
export const looksLikeNumber = (q: string) => /\d/.test(q) && !/\s/.test(q.trim());
