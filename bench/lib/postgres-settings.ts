/**
 * Shared buffers of the benchmarks' system Postgres. A 1.5M-article catalog with 30M attributes
 * has ~3 GB of indexes; with the 1 GB the tests use, an incremental sync at that size spends most
 * of its time moving index pages between the OS cache and the buffers (10k changed articles,
 * writer alone: 4.9 s at 1 GB, 2.8 s at 4 GB). 4 GB is ~17% of this machine's memory, below the
 * usual quarter of RAM, and it applies to the floors measured in the same run too.
 */
export const BENCH_SHARED_BUFFERS = "4GB";
