-- A misspelt query is now answered as its corrected query (an ordinary search, with that
-- query's summary): summaries of near-spelling answers are never read again.
DELETE FROM "search_summaries" WHERE "request" @> '{"fuzzy": true}';
