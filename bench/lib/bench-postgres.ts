import { mkdirSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import type pg from "pg";
import type { RunningPostgres } from "../../scripts/local/embedded-postgres.ts";
import { freePort } from "../../scripts/local/ports.ts";
import { startSystemPostgres } from "../../scripts/local/system-postgres.ts";

/**
 * Shared buffers of the benchmarks' system Postgres. A 1.5M-article catalog with 30M attributes
 * has ~3 GB of indexes; with the 1 GB the tests use, an incremental sync at that size spends most
 * of its time moving index pages between the OS cache and the buffers (10k changed articles,
 * writer alone: 4.9 s at 1 GB, 2.8 s at 4 GB). 4 GB is ~17% of this machine's memory, below the
 * usual quarter of RAM, and it applies to the floors measured in the same run too.
 */
const BENCH_SHARED_BUFFERS = "4GB";

/** An empty .data/bench/<name> (what an earlier run left is removed). */
export function freshBenchDir(name: string): string {
  const dir = resolve(import.meta.dirname, "../../.data/bench", name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The benchmarks' system Postgres in `dataDir`, on a free port; its shared memory on huge pages with `hugePages` (where the kernel allows). */
export async function startBenchPostgres(dataDir: string, opts: { hugePages?: boolean } = {}): Promise<RunningPostgres> {
  return startSystemPostgres({ dataDir, port: await freePort(), sharedBuffers: BENCH_SHARED_BUFFERS, ...(opts.hugePages && { hugePages: true }) });
}

/**
 * Whether Postgres is doing anything besides `c`'s own query: another client's query (a summary
 * the Worker computes after its answer, a search warm-up) or, with `autovacuum`, a vacuum worker.
 */
export async function databaseBusy(c: pg.Client, opts: { autovacuum?: boolean } = {}): Promise<boolean> {
  const r = await c.query(`SELECT count(*) AS n FROM pg_stat_activity
    WHERE (state = 'active' AND pid <> pg_backend_pid() AND backend_type = 'client backend') OR ($1 AND backend_type = 'autovacuum worker')`, [opts.autovacuum ?? false]);
  return Number((r.rows[0] as { n: string }).n) > 0;
}
