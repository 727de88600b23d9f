import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { sample } from "./exposition.ts";

/** Runs with fewer rows are mostly fixed overhead; their rate says nothing about performance. */
export const MIN_ROWS_FOR_RATE = 100;
/** The baseline is the average rate of this many successful runs before the last one. */
export const BASELINE_RUNS = 5;

export interface SyncStats {
  tenantId: string;
  mode: string;
  runs: Record<string, number>;
  lastRows: number | null;
  lastSeconds: number | null;
  lastRate: number | null;
  baselineRate: number | null;
}

/** Per tenant and mode: runs by status, and the last successful run against its recent average. */
export async function syncStats(db: Database): Promise<SyncStats[]> {
  const counts = await db.execute<{ tenant_id: string; mode: string; status: string; n: number }>(sql`
    SELECT tenant_id, mode, status, count(*)::int AS n FROM sync_runs GROUP BY 1, 2, 3`);
  const rates = await db.execute<{ tenant_id: string; mode: string; last_rows: number | null; last_seconds: number | null; last_rate: number | null; baseline_rate: number | null }>(sql`
    WITH done AS (
      SELECT tenant_id, mode, rows_done::float8 AS rows, GREATEST(EXTRACT(EPOCH FROM finished_at - started_at)::float8, 0.001) AS seconds,
             row_number() OVER (PARTITION BY tenant_id, mode ORDER BY finished_at DESC) AS rn
      FROM sync_runs WHERE status = 'succeeded' AND finished_at IS NOT NULL)
    SELECT tenant_id, mode,
           max(rows) FILTER (WHERE rn = 1) AS last_rows,
           max(seconds) FILTER (WHERE rn = 1) AS last_seconds,
           max(rows / seconds) FILTER (WHERE rn = 1 AND rows >= ${MIN_ROWS_FOR_RATE}) AS last_rate,
           avg(rows / seconds) FILTER (WHERE rn BETWEEN 2 AND ${BASELINE_RUNS + 1} AND rows >= ${MIN_ROWS_FOR_RATE}) AS baseline_rate
    FROM done WHERE rn <= ${BASELINE_RUNS + 1} GROUP BY 1, 2`);
  const stats = new Map<string, SyncStats>();
  const of = (tenantId: string, mode: string) => {
    const key = `${tenantId}\u0000${mode}`;
    let s = stats.get(key);
    if (!s) stats.set(key, (s = { tenantId, mode, runs: {}, lastRows: null, lastSeconds: null, lastRate: null, baselineRate: null }));
    return s;
  };
  for (const r of counts.rows) of(r.tenant_id, r.mode).runs[r.status] = Number(r.n);
  const num = (v: number | string | null) => (v === null ? null : Number(v));
  for (const r of rates.rows) Object.assign(of(r.tenant_id, r.mode), { lastRows: num(r.last_rows), lastSeconds: num(r.last_seconds), lastRate: num(r.last_rate), baselineRate: num(r.baseline_rate) });
  return [...stats.values()];
}

const STATUSES = ["running", "succeeded", "failed", "cancelled"] as const;
const round = (v: number) => Math.round(v * 1000) / 1000;

/** Prometheus samples of the tenants in `active` (disabled tenants are left out). */
export function syncSamples(stats: SyncStats[], active: ReadonlySet<string>): string[] {
  const lines: string[] = [];
  const running = new Map<string, number>();
  for (const s of stats) {
    if (!active.has(s.tenantId)) continue;
    const l = { tenant: s.tenantId, mode: s.mode };
    for (const status of STATUSES) lines.push(sample("b2x_sync_runs_total", { ...l, status }, s.runs[status] ?? 0));
    running.set(s.tenantId, (running.get(s.tenantId) ?? 0) + (s.runs.running ?? 0));
    if (s.lastSeconds !== null) lines.push(sample("b2x_sync_last_run_duration_seconds", l, round(s.lastSeconds)));
    if (s.lastRows !== null) lines.push(sample("b2x_sync_last_run_rows", l, s.lastRows));
    if (s.lastRate !== null) lines.push(sample("b2x_sync_last_run_rows_per_second", l, round(s.lastRate)));
    if (s.baselineRate !== null) lines.push(sample("b2x_sync_baseline_rows_per_second", l, round(s.baselineRate)));
  }
  for (const [tenant, n] of running) lines.push(sample("b2x_sync_running", { tenant }, n > 0 ? 1 : 0));
  return lines;
}

export const SYNC_METRIC_HEADERS = [
  "# HELP b2x_sync_runs_total Sync runs by mode and status (from Postgres sync_runs).",
  "# TYPE b2x_sync_runs_total counter",
  "# HELP b2x_sync_last_run_duration_seconds Duration of the last successful sync run.",
  "# TYPE b2x_sync_last_run_duration_seconds gauge",
  "# HELP b2x_sync_last_run_rows Rows written by the last successful sync run.",
  "# TYPE b2x_sync_last_run_rows gauge",
  `# HELP b2x_sync_last_run_rows_per_second Rows per second of the last successful sync run (runs of at least ${MIN_ROWS_FOR_RATE} rows).`,
  "# TYPE b2x_sync_last_run_rows_per_second gauge",
  `# HELP b2x_sync_baseline_rows_per_second Average rows per second of the ${BASELINE_RUNS} successful runs before the last (runs of at least ${MIN_ROWS_FOR_RATE} rows).`,
  "# TYPE b2x_sync_baseline_rows_per_second gauge",
  "# HELP b2x_sync_running Whether a sync run of the tenant is running now.",
  "# TYPE b2x_sync_running gauge",
];
