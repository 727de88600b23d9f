-- The dictionary of name words now also serves compound parts and sizes (workers/search/match.ts):
-- a query word is expanded to the name words containing it, so it keeps words with digits
-- ("m8x40") and two-letter words ("a2") too. Typo correction reads only the `correctable` ones.
-- Nothing matches substrings of names any more, so their trigram index goes: it was the most
-- expensive part of a narrow query (30 of 41 ms at 1.5M articles) and about 15 GIN entries per
-- article the sync writes.
DROP INDEX "articles_name_trgm_idx";--> statement-breakpoint
ALTER TABLE "search_words" ADD COLUMN "correctable" boolean GENERATED ALWAYS AS (word !~ '[0-9]' AND length(word) >= 3) STORED;--> statement-breakpoint
CREATE OR REPLACE FUNCTION "search_words_add"(tenant text, names text[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO search_words (tenant_id, word, ndoc)
  SELECT tenant, w.word, count(*)::int
  FROM unnest(names) AS n(name), unnest(tsvector_to_array(to_tsvector('simple'::regconfig, n.name))) AS w(word)
  WHERE length(w.word) >= 2
  GROUP BY w.word
  ON CONFLICT (tenant_id, word) DO UPDATE SET ndoc = search_words.ndoc + excluded.ndoc;
$$;--> statement-breakpoint
-- The words the dictionary left out until now, from the articles already there.
INSERT INTO search_words (tenant_id, word, ndoc)
SELECT a.tenant_id, w.word, count(*)::int
FROM articles a, unnest(tsvector_to_array(to_tsvector('simple'::regconfig, a.name))) AS w(word)
WHERE a.deleted_at IS NULL AND length(w.word) >= 2 AND (w.word ~ '[0-9]' OR length(w.word) = 2)
GROUP BY a.tenant_id, w.word
ON CONFLICT (tenant_id, word) DO NOTHING;
