import { mkdirSync, rmSync } from "node:fs";
import { resolve } from "node:path";
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

/** The benchmarks' system Postgres in `dataDir`, on a free port. */
export async function startBenchPostgres(dataDir: string): Promise<RunningPostgres> {
  return startSystemPostgres({ dataDir, port: await freePort(), sharedBuffers: BENCH_SHARED_BUFFERS });
}
