import { type SQL, sql } from "drizzle-orm";
import type { FacetCounts, SummaryRequest } from "../../schema/search.ts";
import type { FilterNode } from "../../schema/query-descriptor.ts";
import type { Database } from "../db/client.ts";
import { textMatch } from "./match.ts";
import { evaluate, type Selection, SUMMARY_FACET_VALUES } from "./statement.ts";

/**
 * Rolling search summaries forward across an incremental sync. A summary (total, facet counts,
 * best-ranked ids of one query) is a function of the articles; a run changes a few thousand of
 * 1.5M. So the summary at the new catalog version is the old one with the changed articles'
 * old matches taken out and their new matches put in: a few small statements over the changed
 * rows, where computing it again counts and ranks every match (0.3-2 s for a broad word). An
 * unchanged article matches and scores as before: everything a match reads is the row itself,
 * and the dictionary of name words a query word expands to only grows by words of the rows the
 * run wrote.
 */

/** A summary as stored at the version before the run. */
export interface StoredSummary {
  queryKey: string;
  request: SummaryRequest;
  total: number;
  facets: FacetCounts;
  top: [string, number][];
  computedMs: number;
  createdAt: Date;
}

/** The articles a run changed (catalog_changes), and when it started. */
export interface RunChanges {
  runId: string;
  startedAt: Date;
  ids: string[];
}

type Executor = Pick<Database, "execute">;

/**
 * The changes of `runId` if the summaries before it can be rolled forward to version `to`: it is
 * an incremental run that succeeded and moved the catalog to `to`; no other run started after
 * the successful run before it finished (a failed run may have written rows no capture holds),
 * nor after it (its writes would be taken for this run's). Read in the caller's snapshot.
 */
export async function runChanges(db: Executor, tenantId: string, runId: string, to: number): Promise<RunChanges | undefined> {
  const r = await db.execute<{ mode: string; status: string; started_at: string; version: string; others: string }>(sql`
    SELECT r.mode, r.status, r.started_at, t.catalog_version AS version,
      (SELECT count(*) FROM sync_runs o WHERE o.tenant_id = r.tenant_id AND o.run_id <> r.run_id AND o.started_at > coalesce(
        (SELECT max(p.finished_at) FROM sync_runs p WHERE p.tenant_id = r.tenant_id AND p.run_id <> r.run_id AND p.status = 'succeeded' AND p.finished_at <= r.started_at),
        '-infinity'::timestamptz)) AS others
    FROM sync_runs r JOIN tenants t ON t.tenant_id = r.tenant_id
    WHERE r.tenant_id = ${tenantId} AND r.run_id = ${runId}`);
  const run = r.rows[0];
  if (!run || run.mode !== "incremental" || run.status !== "succeeded" || Number(run.version) !== to || Number(run.others) > 0) return undefined;
  const ids = await db.execute<{ article_id: string }>(sql`SELECT article_id FROM catalog_changes WHERE tenant_id = ${tenantId} AND run_id = ${runId}`);
  return { runId, startedAt: new Date(run.started_at), ids: ids.rows.map((x) => x.article_id) };
}

/**
 * Whether `s` can be rolled forward with `run`: computed from the catalog as the version before
 * the run left it (stored before the run started), and with every facet list whole (a list cut
 * at SUMMARY_FACET_VALUES may miss a value the changes lift).
 */
export const rollable = (s: Omit<StoredSummary, "top">, run: RunChanges): boolean =>
  s.createdAt.getTime() < run.startedAt.getTime() && Object.values(s.facets).every((values) => values.length < SUMMARY_FACET_VALUES);

/** Ids as one array parameter (an IN list of 10k ids would be 10k parameters). */
const idArray = (ids: readonly string[]): SQL => sql`ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`;

/** `s` at the new version: its counts moved by the changed rows, its ranking merged with theirs. */
export async function rollSummary(db: Executor, tenantId: string, s: StoredSummary, run: RunChanges, topSize: number): Promise<Pick<StoredSummary, "total" | "facets" | "top">> {
  const base = { tenantId, match: textMatch(tenantId, s.request.q), filter: s.request.filter as FilterNode | undefined };
  const counts = { count: true, facets: Object.keys(s.facets), idsOnly: true, facetValues: null };
  const before: Selection = { ...base, rows: { from: sql`catalog_changes a`, where: sql`a.run_id = ${run.runId} AND a.existed` } };
  const after: Selection = { ...base, rows: { from: sql`articles a`, where: sql`a.deleted_at IS NULL AND a.article_id = ANY(${idArray(run.ids)})` } };
  const old = await evaluate(db, before, { sort: "relevance", after: undefined, limit: 0 }, counts);
  // The changed rows as they are now: their counts, and their best-ranked matches with scores.
  const now = await evaluate(db, after, { sort: "relevance", after: undefined, limit: topSize }, counts);
  const changedTop = now.items.map((i): [string, number] => [i.articleId, i.score]);
  return { total: s.total - old.total! + now.total!, facets: await rollFacets(db, s.facets, old.facets, now.facets), top: await rollTop(db, s, run, changedTop, topSize) };
}

/**
 * The ranking: the kept entries (unchanged articles keep their scores) and the changed articles'
 * matches, sorted together by the database (its collation breaks ties, as in every ranking).
 * Unchanged articles beyond the old top rank below its last kept entry, so the merged ranking
 * is right up to that entry; when the old top held every match, all of it is.
 */
async function rollTop(db: Executor, s: StoredSummary, run: RunChanges, changedTop: [string, number][], topSize: number): Promise<[string, number][]> {
  const changed = new Set(run.ids);
  const kept = s.top.filter(([id]) => !changed.has(id));
  const complete = s.top.length >= s.total;
  const last = kept.at(-1)?.[0];
  if (!complete && last === undefined) return [];
  const r = await db.execute<{ top: [string, number][] }>(sql`
    SELECT coalesce(json_agg(json_build_array(m.id, m.score) ORDER BY m.score DESC, m.id), '[]'::json) AS top
    FROM (SELECT e->>0 AS id, (e->>1)::float8 AS score FROM jsonb_array_elements(${JSON.stringify([...kept, ...changedTop])}::jsonb) e
          ORDER BY 2 DESC, 1 LIMIT ${sql.raw(String(topSize))}) m`);
  const top = r.rows[0]!.top.map(([id, score]): [string, number] => [id, Number(score)]);
  if (complete) return top;
  const at = top.findIndex(([id]) => id === last);
  // Not among them: every one of them ranks before it.
  return at === -1 ? top : top.slice(0, at + 1);
}

/**
 * Each facet's counts with the changed rows' old values taken out and their new ones put in,
 * ordered and cut as a facet is computed (in SQL, so ties fall in the database's collation).
 */
async function rollFacets(db: Executor, stored: FacetCounts, minus: FacetCounts, plus: FacetCounts): Promise<FacetCounts> {
  if (Object.keys(stored).length === 0) return {};
  const r = await db.execute<{ facet: string; counts: FacetCounts[string] }>(sql`
    SELECT f.facet, (
      SELECT coalesce(json_agg(json_build_object('value', v.value, 'count', v.count) ORDER BY v.count DESC, v.value), '[]'::json)
      FROM (SELECT e->>'value' AS value, sum((e->>'count')::int * d.sign)::int AS count
            FROM (VALUES (1, ${JSON.stringify(stored)}::jsonb), (-1, ${JSON.stringify(minus)}::jsonb), (1, ${JSON.stringify(plus)}::jsonb)) AS d(sign, doc),
              jsonb_array_elements(coalesce(d.doc->f.facet, '[]'::jsonb)) e
            GROUP BY 1 HAVING sum((e->>'count')::int * d.sign) > 0 ORDER BY 2 DESC, 1 LIMIT ${sql.raw(String(SUMMARY_FACET_VALUES))}) v) AS counts
    FROM jsonb_object_keys(${JSON.stringify(stored)}::jsonb) AS f(facet)`);
  return Object.fromEntries(r.rows.map((x) => [x.facet, x.counts]));
}
