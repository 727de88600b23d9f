-- The sync writer runs two chunk transactions at once and commits them in stream order. Both
-- would upsert the same common words into search_words from this trigger, and the later one's
-- row locks would block the earlier one's statement while the later waits for the earlier's
-- commit: a deadlock Postgres cannot see. The writer therefore sets `b2x.words_by_writer` in its
-- transactions and adds the words itself, through the same function, in the ordered part of each
-- batch; every other writer (fixtures, COPY, admin tools) still feeds the dictionary here.
CREATE FUNCTION "search_words_add"(tenant text, names text[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO search_words (tenant_id, word, ndoc)
  SELECT tenant, w.word, count(*)::int
  FROM unnest(names) AS n(name), unnest(tsvector_to_array(to_tsvector('simple'::regconfig, n.name))) AS w(word)
  WHERE length(w.word) >= 3 AND w.word !~ '[0-9]'
  GROUP BY w.word
  ON CONFLICT (tenant_id, word) DO UPDATE SET ndoc = search_words.ndoc + excluded.ndoc;
$$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION "search_words_collect"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('b2x.words_by_writer', true) = 'on' THEN
    RETURN NULL;
  END IF;
  PERFORM search_words_add(n.tenant_id, array_agg(n.name)) FROM new_rows n WHERE n.deleted_at IS NULL GROUP BY n.tenant_id;
  RETURN NULL;
END $$;
